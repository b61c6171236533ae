"""Connect values to JSON nodes and back, following Kafka's JsonConverter rule by rule.

Where Kafka would silently coerce (Jackson's `intValue()` of a string is 0), this reader is
strict and raises DataException: a JSON value must have the JSON type of its schema, and
integers must fit the schema's width. Output for valid data is the same as Kafka's.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import math
from dataclasses import dataclass

from kanal_connect.converters.jackson import MISSING, Binary, Float32, JsonNode
from kanal_connect.data import logical
from kanal_connect.data.schema import Schema, SchemaType
from kanal_connect.data.structs import Struct
from kanal_connect.data.validation import (
    INT_RANGES,
    infer_schema_type,
    same_struct_shape,
    validate_value,
)
from kanal_connect.errors import DataException
from kanal_connect.java_text import to_float32

_NON_FINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


@dataclass(frozen=True, slots=True)
class JsonValueOptions:
    """`decimal.format` (BASE64 or NUMERIC) and `replace.null.with.default`."""

    decimal_numeric: bool = False
    replace_null_with_default: bool = True


def to_json(schema: Schema | None, value: object, options: JsonValueOptions) -> JsonNode:
    """Kafka's `convertToJson`."""
    if value is None:
        if schema is None:
            return None
        if schema.default is not None and options.replace_null_with_default:
            return to_json(schema, schema.default, options)
        if schema.optional:
            return None
        raise DataException(
            "Conversion error: null value for field that is required and has no default value"
        )
    if schema is not None and schema.name in logical.LOGICAL_NAMES:
        return _logical_to_json(schema, value, options)
    schema_type = schema.type if schema is not None else infer_schema_type(value)
    if schema_type is None:
        raise DataException(
            f"Java class {type(value).__name__} does not have corresponding schema type."
        )
    if schema_type in INT_RANGES:
        low, high = INT_RANGES[schema_type]
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return value
    elif schema_type is SchemaType.FLOAT32 and isinstance(value, float):
        return Float32(value)
    elif (
        (schema_type is SchemaType.FLOAT64 and isinstance(value, float))
        or (schema_type is SchemaType.BOOLEAN and isinstance(value, bool))
        or (schema_type is SchemaType.STRING and isinstance(value, str))
    ):
        return value
    elif schema_type is SchemaType.BYTES and isinstance(value, bytes | bytearray):
        return Binary(bytes(value))
    elif schema_type is SchemaType.ARRAY and isinstance(value, list | tuple):
        items = schema.value_schema if schema is not None else None
        return [to_json(items, item, options) for item in value]
    elif schema_type is SchemaType.MAP and isinstance(value, dict):
        return _map_to_json(schema, value, options)
    elif schema_type is SchemaType.STRUCT and isinstance(value, Struct):
        if schema is None or not same_struct_shape(value.schema, schema):
            raise DataException("Mismatching schema.")
        return {
            field.name: to_json(field.schema, value.get_without_default(field.name), options)
            for field in schema.fields
        }
    label = schema_type.name if schema is not None else "unknown schema"
    raise DataException(f"Invalid type for {label}: {type(value).__name__}")


def _map_to_json(
    schema: Schema | None, value: dict[object, object], options: JsonValueOptions
) -> JsonNode:
    keys = schema.key_schema if schema is not None else None
    values = schema.value_schema if schema is not None else None
    if schema is None:
        object_mode = all(isinstance(key, str) for key in value)
    else:
        object_mode = keys is not None and keys.type is SchemaType.STRING
    if object_mode:
        # Kafka keys the object by the key node's text (`asText()`).
        return {
            _as_text(to_json(keys, key, options)): to_json(values, item, options)
            for key, item in value.items()
        }
    return [
        [to_json(keys, key, options), to_json(values, item, options)] for key, item in value.items()
    ]


def _as_text(node: JsonNode) -> str:
    return node if isinstance(node, str) else "" if node is None else str(node)


def _logical_to_json(schema: Schema, value: object, options: JsonValueOptions) -> JsonNode:
    if schema.name == logical.DECIMAL_NAME:
        if not isinstance(value, decimal.Decimal):
            raise DataException(
                f"Invalid type for Decimal, expected BigDecimal but was {type(value).__name__}"
            )
        if options.decimal_numeric:
            return value
        return Binary(logical.decimal_to_bytes(schema, value))
    if schema.name == logical.DATE_NAME and isinstance(value, dt.date):
        return logical.date_to_days(value)
    if schema.name == logical.TIME_NAME and isinstance(value, dt.time):
        return logical.time_to_millis(value)
    if schema.name == logical.TIMESTAMP_NAME and isinstance(value, dt.datetime):
        return logical.timestamp_to_millis(value)
    kind = (schema.name or "").rsplit(".", 1)[-1]
    raise DataException(f"Invalid type for {kind}, expected Date but was {type(value).__name__}")


def to_connect(schema: Schema | None, node: object, options: JsonValueOptions) -> object:
    """Kafka's `convertToConnect` (strict about JSON types, see the module doc)."""
    if schema is None:
        return _schemaless(node, options)
    if node is None or node is MISSING:
        if schema.default is not None and options.replace_null_with_default:
            return schema.default
        if schema.optional:
            return None
        raise DataException(f"Invalid null value for required {schema.type.name} field")
    if schema.name in logical.LOGICAL_NAMES:
        return _logical_to_connect(schema, node)
    return _typed(schema, node, options)


def _schemaless(node: object, options: JsonValueOptions) -> object:
    if node is None or node is MISSING:
        return None
    if isinstance(node, bool | str):
        return node
    if isinstance(node, int):
        return _fit(SchemaType.INT64, node)
    if isinstance(node, decimal.Decimal):
        return _as_float(node)
    if isinstance(node, list):
        return [_schemaless(item, options) for item in node]
    if isinstance(node, dict):
        return {key: _schemaless(item, options) for key, item in node.items()}
    raise DataException(
        f"Unknown schema type for JSON value {type(node).__name__}"
    )  # pragma: no cover


def _typed(schema: Schema, node: object, options: JsonValueOptions) -> object:
    kind = schema.type
    if kind in INT_RANGES and isinstance(node, int) and not isinstance(node, bool):
        return _fit(kind, node)
    if kind in (SchemaType.FLOAT32, SchemaType.FLOAT64):
        if isinstance(node, int | decimal.Decimal) and not isinstance(node, bool):
            number = _as_float(node)
            # Jackson's floatValue(): the nearest float32, as Java's float field holds it.
            return to_float32(number) if kind is SchemaType.FLOAT32 else number
        if isinstance(node, str) and node in _NON_FINITE:
            return _NON_FINITE[node]
    if kind is SchemaType.BOOLEAN and isinstance(node, bool):
        return node
    if kind is SchemaType.STRING and isinstance(node, str):
        return node
    if kind is SchemaType.BYTES and isinstance(node, str):
        return _base64(node, "Invalid bytes field")
    if kind is SchemaType.ARRAY and isinstance(node, list):
        assert schema.value_schema is not None
        return [to_connect(schema.value_schema, item, options) for item in node]
    if kind is SchemaType.MAP:
        return _map_to_connect(schema, node, options)
    if kind is SchemaType.STRUCT and isinstance(node, dict):
        # What Struct.put does per field (validate, store), without its lookup by name.
        values: list[object] = []
        for field in schema.fields:
            value = to_connect(field.schema, node.get(field.name), options)
            validate_value(field.schema, value, field.name)
            values.append(value)
        return Struct.trusted(schema, values)
    if kind is SchemaType.STRUCT:
        raise DataException(
            f"Structs should be encoded as JSON objects, but found {_node_type(node)}"
        )
    raise DataException(f"Invalid JSON {_node_type(node)} for schema type {kind.name}")


def _map_to_connect(schema: Schema, node: object, options: JsonValueOptions) -> object:
    assert schema.key_schema is not None and schema.value_schema is not None
    if schema.key_schema.type is SchemaType.STRING:
        if not isinstance(node, dict):
            raise DataException(
                "Maps with string fields should be encoded as "
                f"JSON objects, but found {_node_type(node)}"
            )
        return {
            to_connect(schema.key_schema, key, options): to_connect(
                schema.value_schema, item, options
            )
            for key, item in node.items()
        }
    if not isinstance(node, list):
        raise DataException(
            "Maps with non-string fields should be encoded as "
            f"JSON array of tuples, but found {_node_type(node)}"
        )
    result: dict[object, object] = {}
    for entry in node:
        if not isinstance(entry, list):
            raise DataException(
                f"Found invalid map entry instead of array tuple: {_node_type(entry)}"
            )
        if len(entry) != 2:
            raise DataException(
                f"Found invalid map entry, expected length 2 but found :{len(entry)}"
            )
        key = to_connect(schema.key_schema, entry[0], options)
        try:
            result[key] = to_connect(schema.value_schema, entry[1], options)
        except TypeError:
            raise DataException(f"Map key of type {type(key).__name__} is not hashable") from None
    return result


def _logical_to_connect(schema: Schema, node: object) -> object:
    if schema.name == logical.DECIMAL_NAME:
        if isinstance(node, int | decimal.Decimal) and not isinstance(node, bool):
            return decimal.Decimal(node)
        if isinstance(node, str):
            return logical.decimal_from_bytes(
                schema, _base64(node, "Invalid bytes for Decimal field")
            )
        raise DataException(
            "Invalid type for Decimal, underlying representation "
            f"should be numeric or bytes but was {_node_type(node)}"
        )
    if not isinstance(node, int) or isinstance(node, bool):
        kind = (schema.name or "").rsplit(".", 1)[-1]
        raise DataException(
            f"Invalid type for {kind}, underlying representation "
            f"should be integer but was {_node_type(node)}"
        )
    if schema.name == logical.DATE_NAME:
        return logical.date_from_days(_fit(SchemaType.INT32, node))
    if schema.name == logical.TIME_NAME:
        return logical.time_from_millis(_fit(SchemaType.INT32, node))
    return logical.timestamp_from_millis(_fit(SchemaType.INT64, node))


def _as_float(number: int | decimal.Decimal) -> float:
    """Jackson's doubleValue(): out-of-range numbers become infinities."""
    try:
        return float(number)
    except OverflowError:
        return math.inf if number > 0 else -math.inf


def _fit(kind: SchemaType, number: int) -> int:
    low, high = INT_RANGES[kind]
    if not low <= number <= high:
        raise DataException(f"Numeric value ({number}) out of range of {kind.name}")
    return number


def _base64(text: str, message: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise DataException(message) from None


def _node_type(node: object) -> str:
    if node is None:
        return "NULL"
    names = {
        bool: "BOOLEAN",
        int: "NUMBER",
        decimal.Decimal: "NUMBER",
        str: "STRING",
        list: "ARRAY",
        dict: "OBJECT",
    }
    return names.get(type(node), type(node).__name__)
