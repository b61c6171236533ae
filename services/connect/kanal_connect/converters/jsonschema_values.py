"""Connect values to JSON nodes and back, as Confluent's `JsonSchemaData` converts them.

Nodes are the `jackson` module's tree (Binary for bytes, Float32, Decimal), so the text is what
Jackson writes. Decimals are JSON numbers (Confluent's schema for them says "number"); bytes are
base64 text; Date, Time and Timestamp are their Connect integers (days, ms of day, epoch ms).
A map with required string keys is an object, any other map an array of {"key", "value"}
objects. Reading is strict: a node of the wrong JSON type, or an integer outside its Connect
width, is a DataException rather than Jackson's silent coercion.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
from collections.abc import Mapping

from kanal_connect.converters.jackson import Binary, Float32, JsonNode
from kanal_connect.data import logical
from kanal_connect.data.schema import Schema, SchemaType
from kanal_connect.data.structs import Struct
from kanal_connect.data.validation import INT_RANGES, same_struct_shape, validate_value
from kanal_connect.errors import DataException
from kanal_connect.java_text import to_float32

ONE_OF_NAME = "io.confluent.connect.json.OneOf"
_NON_FINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}
KEY_FIELD, VALUE_FIELD = "key", "value"


def string_keyed(schema: Schema) -> bool:
    """Maps with required string keys are JSON objects; any other map is an entry array."""
    key = schema.key_schema
    return key is not None and key.type is SchemaType.STRING and not key.optional


def to_json_node(schema: Schema, value: object) -> JsonNode:
    """Confluent's `fromConnectData`: a null takes the default, else must be optional."""
    if value is None:
        if schema.default is not None:
            return to_json_node(schema, schema.default)
        if schema.optional:
            return None
        raise DataException(
            "Conversion error: null value for field that is required and has no default value"
        )
    if schema.name in logical.LOGICAL_NAMES:
        validate_value(schema, value)
        return _logical_to_json(schema, value)
    kind = schema.type
    if kind in INT_RANGES:
        low, high = INT_RANGES[kind]
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return value
    elif kind is SchemaType.FLOAT64 and isinstance(value, float):
        return value
    elif kind is SchemaType.FLOAT32 and isinstance(value, float):
        return Float32(value)
    elif (kind is SchemaType.BOOLEAN and isinstance(value, bool)) or (
        kind is SchemaType.STRING and isinstance(value, str)
    ):
        return value
    elif kind is SchemaType.BYTES and isinstance(value, bytes | bytearray):
        return Binary(bytes(value))
    elif kind is SchemaType.ARRAY and isinstance(value, list | tuple):
        assert schema.value_schema is not None
        return [to_json_node(schema.value_schema, item) for item in value]
    elif kind is SchemaType.MAP and isinstance(value, dict):
        return _map_to_json(schema, value)
    elif kind is SchemaType.STRUCT and isinstance(value, Struct):
        if not same_struct_shape(value.schema, schema):
            raise DataException("Mismatching schema.")
        if schema.name == ONE_OF_NAME:
            # A union is a struct with one non-null field: the value of that branch.
            for field in schema.fields:
                branch = value.get(field.name)
                if branch is not None:
                    return to_json_node(field.schema, branch)
            if schema.optional:
                return None
            raise DataException("A required union has no non-null branch")
        return {f.name: to_json_node(f.schema, value.get(f.name)) for f in schema.fields}
    raise DataException(f"Invalid value for {kind.name}: {type(value).__name__} {value!r:.40}")


def _logical_to_json(schema: Schema, value: object) -> JsonNode:
    if isinstance(value, decimal.Decimal):
        return value
    if isinstance(value, dt.datetime):  # before date: a datetime is a date
        if schema.name == logical.DATE_NAME:
            return logical.date_to_days(value)
        return logical.timestamp_to_millis(value)
    if isinstance(value, dt.date):
        return logical.date_to_days(value)
    assert isinstance(value, dt.time)
    return logical.time_to_millis(value)


def _map_to_json(schema: Schema, value: dict[object, object]) -> JsonNode:
    assert schema.key_schema is not None and schema.value_schema is not None
    keys, values = schema.key_schema, schema.value_schema
    if string_keyed(schema):
        out: dict[str, JsonNode] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise DataException(f"Map key {key!r} is not a string")
            out[key] = to_json_node(values, item)
        return out
    return [{KEY_FIELD: to_json_node(keys, k), VALUE_FIELD: to_json_node(values, v)}
            for k, v in value.items()]


# ---- JSON -> Connect -------------------------------------------------------------------------


def from_json_node(schema: Schema, node: object) -> object:
    """Confluent's `toConnectData` for a parsed JSON node (floats as Decimal)."""
    if node is None:
        if schema.default is not None:
            return schema.default
        if schema.optional:
            return None
        raise DataException(f"Invalid null value for required {schema.type.name} field")
    if schema.name in logical.LOGICAL_NAMES:
        return _logical_from_json(schema, node)
    kind = schema.type
    if kind in INT_RANGES:
        return _integer(schema, node)
    if kind in (SchemaType.FLOAT32, SchemaType.FLOAT64):
        if isinstance(node, str) and node in _NON_FINITE:
            node = _NON_FINITE[node]  # Jackson writes non-finite numbers quoted
        if isinstance(node, bool) or not isinstance(node, int | float | decimal.Decimal):
            raise _wrong(schema, node)
        number = float(node)
        return to_float32(number) if kind is SchemaType.FLOAT32 else number
    if kind is SchemaType.BOOLEAN and isinstance(node, bool):
        return node
    if kind is SchemaType.STRING and isinstance(node, str):
        return node
    if kind is SchemaType.BYTES and isinstance(node, str):
        return _base64(node)
    if kind is SchemaType.ARRAY and isinstance(node, list):
        assert schema.value_schema is not None
        return [from_json_node(schema.value_schema, item) for item in node]
    if kind is SchemaType.MAP:
        return _map_from_json(schema, node)
    if kind is SchemaType.STRUCT:
        return _struct_from_json(schema, node)
    raise _wrong(schema, node)


def _integer(schema: Schema, node: object) -> int:
    if isinstance(node, decimal.Decimal) and node == node.to_integral_value():
        node = int(node)
    if isinstance(node, bool) or not isinstance(node, int):
        raise _wrong(schema, node)
    low, high = INT_RANGES[schema.type]
    if not low <= node <= high:
        raise DataException(f"Value {node} out of range for {schema.type.name}")
    return node


def _logical_from_json(schema: Schema, node: object) -> object:
    if schema.name == logical.DECIMAL_NAME:
        if isinstance(node, str):
            return logical.decimal_from_bytes(schema, _base64(node))
        if isinstance(node, bool) or not isinstance(node, int | decimal.Decimal):
            raise DataException("Invalid type for Decimal, underlying representation should "
                                f"be numeric or bytes but was {type(node).__name__}")
        return _with_scale(decimal.Decimal(node), logical.decimal_scale(schema))
    if isinstance(node, bool) or not isinstance(node, int):
        raise DataException(f"Invalid type for {schema.name}, underlying representation "
                            f"should be integral but was {type(node).__name__}")
    if schema.name == logical.DATE_NAME:
        return logical.date_from_days(node)
    if schema.name == logical.TIME_NAME:
        return logical.time_from_millis(node)
    return logical.timestamp_from_millis(node)


def _with_scale(number: decimal.Decimal, scale: int) -> decimal.Decimal:
    """The number at the schema's scale when that loses nothing (JSON drops trailing zeros
    of integers), else as written."""
    try:
        scaled = number.quantize(decimal.Decimal(1).scaleb(-scale))
    except decimal.InvalidOperation:
        return number
    return scaled if scaled == number else number


def _map_from_json(schema: Schema, node: object) -> dict[object, object]:
    assert schema.key_schema is not None and schema.value_schema is not None
    if string_keyed(schema):
        if not isinstance(node, Mapping):
            raise DataException("Maps with string fields should be encoded as JSON objects")
        return {k: from_json_node(schema.value_schema, v) for k, v in node.items()}
    if not isinstance(node, list):
        raise DataException("Maps with non-string fields should be encoded as JSON arrays")
    result: dict[object, object] = {}
    for entry in node:
        if not isinstance(entry, Mapping) or set(entry) != {KEY_FIELD, VALUE_FIELD}:
            raise DataException(f"Found invalid map entry: {entry!r}")
        key = from_json_node(schema.key_schema, entry[KEY_FIELD])
        try:
            result[key] = from_json_node(schema.value_schema, entry[VALUE_FIELD])
        except TypeError:  # an unhashable key (a list or a map)
            raise DataException(f"Map key {key!r} cannot be a map key") from None
    return result


def _struct_from_json(schema: Schema, node: object) -> Struct:
    if schema.name == ONE_OF_NAME:
        for field in schema.fields:
            try:
                branch = from_json_node(field.schema.with_optional(False), node)
            except DataException:
                continue
            values: list[object] = [None] * len(schema.fields)
            values[field.index] = branch
            return Struct.trusted(schema, values)
        raise DataException(f"Did not find matching oneof field for data: {node!r}")
    if not isinstance(node, Mapping):
        raise DataException("Structs should be encoded as JSON objects")
    return Struct.trusted(schema, [from_json_node(f.schema, node.get(f.name))
                                   for f in schema.fields])


def _base64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise DataException("Invalid bytes field: not base64") from None


def _wrong(schema: Schema, node: object) -> DataException:
    return DataException(f"Invalid JSON value for {schema.type.name}: {type(node).__name__}")
