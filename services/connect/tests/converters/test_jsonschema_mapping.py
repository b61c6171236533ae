"""Connect schemas and values <-> JSON Schema documents and JSON (jsonschema_data / _values),
without a registry: Confluent's document shapes, and round trips of generated schemas."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json

import jsonschema
import pytest
from connect_strategies import schema_and_value, schemas
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal_connect.converters import jackson
from kanal_connect.converters.jsonschema_data import connect_schema, json_schema_document
from kanal_connect.converters.jsonschema_values import (
    ONE_OF_NAME,
    from_json_node,
    to_json_node,
)
from kanal_connect.data import Schema, SchemaType, Struct, array, logical, map_of, struct
from kanal_connect.data import schema as s
from kanal_connect.errors import DataException


def test_a_struct_maps_to_confluents_document() -> None:
    schema = struct(
        [("id", s.INT64), ("name", s.OPTIONAL_STRING), ("small", s.INT8)], name="shop.Order"
    )
    assert json_schema_document(schema) == {
        "type": "object",
        "title": "shop.Order",
        "properties": {
            "id": {"type": "integer", "connect.type": "int64", "connect.index": 0},
            "name": {"oneOf": [{"type": "null"}, {"type": "string"}], "connect.index": 1},
            "small": {"type": "integer", "connect.type": "int8", "connect.index": 2},
        },
    }


def test_logical_types_and_maps_carry_their_names_and_connect_types() -> None:
    schema = struct([
        ("price", logical.decimal_schema(2)),
        ("day", logical.DATE),
        ("tags", map_of(s.STRING, s.INT32)),
        ("by_id", map_of(s.INT32, s.STRING)),
        ("blob", s.BYTES),
    ])  # fmt: skip
    properties = json_schema_document(schema)["properties"]
    assert properties["price"] == {
        "type": "number", "connect.type": "bytes", "title": logical.DECIMAL_NAME,
        "connect.version": 1, "connect.parameters": {"scale": "2"}, "connect.index": 0,
    }  # fmt: skip
    assert properties["day"]["title"] == logical.DATE_NAME
    assert properties["tags"]["type"] == "object"
    assert properties["tags"]["connect.type"] == "map"
    assert properties["by_id"]["type"] == "array"
    assert properties["by_id"]["items"]["properties"].keys() == {"key", "value"}
    assert properties["blob"] == {"type": "string", "connect.type": "bytes", "connect.index": 4}


def test_a_plain_json_schema_reads_as_connect_types() -> None:
    document = {
        "type": "object",
        "title": "Person",
        "properties": {
            "name": {"type": "string"},
            "age": {"type": "integer"},
            "score": {"type": ["number", "null"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "kind": {"enum": ["a", "b"]},
            "home": {"$ref": "#/definitions/Address"},
        },
        "definitions": {"Address": {"type": "object", "properties": {"city": {"type": "string"}}}},
    }
    schema = connect_schema(document)
    assert schema.name == "Person"
    assert [f.name for f in schema.fields] == ["name", "age", "score", "tags", "kind", "home"]
    types = {f.name: f.schema for f in schema.fields}
    assert types["age"] == s.INT64
    assert types["score"] == s.OPTIONAL_FLOAT64
    assert types["tags"] == array(s.STRING)
    assert types["kind"].parameters == {
        "io.confluent.connect.json.Enum": "",
        "io.confluent.connect.json.Enum.a": "a",
        "io.confluent.connect.json.Enum.b": "b",
    }
    assert types["home"].fields[0].name == "city"


def test_a_union_is_a_one_of_struct() -> None:
    schema = connect_schema({"oneOf": [{"type": "string"}, {"type": "integer"}]})
    assert schema.name == ONE_OF_NAME
    assert [f.schema.type for f in schema.fields] == [SchemaType.STRING, SchemaType.INT64]
    value = from_json_node(schema, 7)
    assert isinstance(value, Struct)
    assert value.get(f"{ONE_OF_NAME}.field.1") == 7
    assert to_json_node(schema, value) == 7


def test_defaults_travel_in_the_document() -> None:
    schema = struct([("n", s.INT32.with_default(5)), ("b", s.BYTES.with_default(b"\x01"))])
    back = connect_schema(json.loads(jackson.write(json_schema_document(schema))))
    assert back == schema
    assert back.fields[1].schema.default == b"\x01"


@pytest.mark.parametrize(
    ("schema", "node"),
    [
        (s.INT8, 300),
        (s.INT32, "1"),
        (s.BOOLEAN, 1),
        (s.STRING, None),
        (s.BYTES, "not base64!"),
        (logical.DATE, 1.5),
        (struct([("a", s.INT32)]), [1]),
        (map_of(s.INT32, s.INT32), [{"key": 1}]),
    ],
)
def test_json_of_the_wrong_shape_is_a_data_exception(schema: Schema, node: object) -> None:
    with pytest.raises(DataException):
        from_json_node(schema, node)


def test_decimals_are_numbers_and_keep_the_schema_scale() -> None:
    schema = logical.decimal_schema(2)
    assert jackson.write(to_json_node(schema, decimal.Decimal("12.30"))) == b"12.30"
    assert from_json_node(schema, 12) == decimal.Decimal("12.00")
    assert from_json_node(schema, "AQ==") == decimal.Decimal("0.01")  # base64 bytes form


@settings(max_examples=150, deadline=None)
@given(schemas)
def test_every_connect_schema_survives_the_document(schema: Schema) -> None:
    document = json_schema_document(schema)
    jsonschema.Draft7Validator.check_schema(document)
    assert connect_schema(json.loads(jackson.write(document))) == schema


@settings(max_examples=150, deadline=None)
@given(schema_and_value)
def test_every_value_survives_json_and_validates(pair: tuple[Schema, object]) -> None:
    schema, value = pair
    data = jackson.write(to_json_node(schema, value))
    node = jackson.read(data)
    validator = jsonschema.Draft7Validator(json_schema_document(schema))
    if not _has_non_finite(node):
        validator.validate(node)
    assert from_json_node(schema, node) == value


def _has_non_finite(node: object) -> bool:
    if isinstance(node, str):
        return node in ("NaN", "Infinity", "-Infinity")
    if isinstance(node, list):
        return any(_has_non_finite(item) for item in node)
    if isinstance(node, dict):
        return any(_has_non_finite(item) for item in node.values())
    return False


@settings(max_examples=200, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=4)
    | st.sampled_from(["object", "array", "string", "integer", "number", "map", "#"]),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from([
        "type", "properties", "items", "oneOf", "anyOf", "$ref", "enum", "title",
        "connect.type", "connect.index", "connect.parameters", "additionalProperties",
        "default", "x",
    ]), children, max_size=4),
    max_leaves=12,
))  # fmt: skip
def test_arbitrary_documents_map_or_raise_data_exception(document: object) -> None:
    with contextlib.suppress(DataException):
        connect_schema(document)


def test_timestamps_are_epoch_milliseconds() -> None:
    moment = dt.datetime(2024, 5, 6, 7, 8, 9, 10_000, tzinfo=dt.UTC)
    node = to_json_node(logical.TIMESTAMP, moment)
    assert node == 1714979289010
    assert from_json_node(logical.TIMESTAMP, node) == moment


@pytest.mark.parametrize(
    ("schema", "value"),
    [
        (s.INT8, 300),
        (s.INT32, True),
        (s.FLOAT64, 1),
        (s.STRING, b"bytes"),
        (s.BYTES, "text"),
        (array(s.INT32), [1, None]),
        (map_of(s.STRING, s.INT32), {1: 1}),
        (logical.DATE, "2024-01-01"),
    ],
)
def test_values_that_do_not_fit_their_schema_are_data_exceptions(
    schema: Schema, value: object
) -> None:
    with pytest.raises(DataException):
        to_json_node(schema, value)
