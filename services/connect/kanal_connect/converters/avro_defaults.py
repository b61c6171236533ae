"""Connect default values <-> the JSON defaults of Avro schemas (field "default" and
"connect.default").

Avro's JSON form of a default is the type's JSON value, with two twists Confluent's AvroData
follows: bytes are a string of ISO-8859-1 characters (one per byte), and logical types are
written as their underlying value (Decimal as its unscaled bytes, Date as days, Time and
Timestamp as milliseconds). A map with non-string keys is an array of {"key", "value"}
records; Confluent's own [key, value] pairs are read too.
"""

from __future__ import annotations

import decimal
from typing import Any

from kanal_connect.data import logical
from kanal_connect.data.schema import Schema, SchemaType
from kanal_connect.data.structs import Struct
from kanal_connect.errors import DataException

UNION_NAME = "io.confluent.connect.avro.Union"

_INTS = (SchemaType.INT8, SchemaType.INT16, SchemaType.INT32, SchemaType.INT64)


def default_to_avro(schema: Schema, value: object) -> Any:
    """The Avro JSON default of a Connect value of `schema`."""
    try:
        return _to_avro(schema, value)
    except (TypeError, ValueError, AttributeError) as error:
        raise DataException(
            f"Invalid type used for default value of {schema.type.name}: {error}"
        ) from None


def _to_avro(schema: Schema, value: Any) -> Any:
    if value is None:
        return None
    name = schema.name
    if name == logical.DECIMAL_NAME:
        return logical.decimal_to_bytes(schema, value).decode("latin-1")
    if name == logical.DATE_NAME:
        return logical.date_to_days(value)
    if name == logical.TIME_NAME:
        return logical.time_to_millis(value)
    if name == logical.TIMESTAMP_NAME:
        return logical.timestamp_to_millis(value)
    kind = schema.type
    if kind is SchemaType.BYTES:
        return bytes(value).decode("latin-1")
    if kind is SchemaType.ARRAY:
        assert schema.value_schema is not None
        return [_to_avro(schema.value_schema, item) for item in value]
    if kind is SchemaType.MAP:
        keys, values = schema.key_schema, schema.value_schema
        assert keys is not None and values is not None
        if keys.type is SchemaType.STRING and not keys.optional:
            return {str(k): _to_avro(values, v) for k, v in value.items()}
        return [{"key": _to_avro(keys, k), "value": _to_avro(values, v)} for k, v in value.items()]
    if kind is SchemaType.STRUCT:
        if name == UNION_NAME:  # the branch that is set
            return next((_to_avro(f.schema, v) for f in schema.fields
                         if (v := value.get(f.name)) is not None), None)
        return {f.name: _to_avro(f.schema, value.get(f.name)) for f in schema.fields}
    return value


def default_from_avro(schema: Schema, value: Any) -> object:
    """The Connect value of an Avro JSON default, for the Connect schema read from Avro."""
    try:
        return _from_avro(schema, value)
    except (TypeError, ValueError, AttributeError, KeyError, decimal.InvalidOperation) as error:
        raise DataException(f"Invalid default value {value!r} for {schema}: {error}") from None


def _from_avro(schema: Schema, value: Any) -> object:
    if value is None:
        return None
    name = schema.name
    if name == logical.DECIMAL_NAME:
        return logical.decimal_from_bytes(schema, _text(value).encode("latin-1"))
    if name == logical.DATE_NAME:
        return logical.date_from_days(_int(value))
    if name == logical.TIME_NAME:
        return logical.time_from_millis(_int(value))
    if name == logical.TIMESTAMP_NAME:
        return logical.timestamp_from_millis(_int(value))
    kind = schema.type
    if kind in _INTS:
        return _int(value)
    if kind in (SchemaType.FLOAT32, SchemaType.FLOAT64):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"not a number: {value!r}")
        return float(value)
    if kind is SchemaType.BOOLEAN:
        if not isinstance(value, bool):
            raise TypeError(f"not a boolean: {value!r}")
        return value
    if kind is SchemaType.STRING:
        return _text(value)
    if kind is SchemaType.BYTES:
        return _text(value).encode("latin-1")
    if kind is SchemaType.ARRAY:
        assert schema.value_schema is not None
        return [_from_avro(schema.value_schema, item) for item in _list(value)]
    if kind is SchemaType.MAP:
        return _map_from_avro(schema, value)
    if name == UNION_NAME:  # an Avro union default is a value of its first branch
        first = schema.fields[0]
        return Struct(schema).put(first.name, _from_avro(first.schema, value))
    if not isinstance(value, dict):
        raise TypeError(f"not a record: {value!r}")
    result = Struct(schema)
    for connect_field in schema.fields:
        item = _from_avro(connect_field.schema, value.get(connect_field.name))
        result.put(connect_field.name, item)
    return result


def _map_from_avro(schema: Schema, value: Any) -> dict[object, object]:
    keys, values = schema.key_schema, schema.value_schema
    assert keys is not None and values is not None
    if isinstance(value, dict):
        return {_from_avro(keys, k): _from_avro(values, v) for k, v in value.items()}
    result: dict[object, object] = {}
    for entry in _list(value):
        key, item = (entry["key"], entry["value"]) if isinstance(entry, dict) else entry
        result[_hashable(_from_avro(keys, key))] = _from_avro(values, item)
    return result


def _hashable(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"not an integer: {value!r}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"not a string: {value!r}")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"not an array: {value!r}")
    return value
