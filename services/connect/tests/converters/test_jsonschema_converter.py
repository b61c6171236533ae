"""JsonSchemaConverter against a real schema registry: round trips of every Connect type,
confluent-kafka's JSONSerializer / JSONDeserializer both ways, validation, and garbage bytes."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import decimal
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient as ConfluentRegistry
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from connect_strategies import schema_and_value
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kanal.serde import SchemaRegistryClient
from kanal.serde.wire import read_header
from kanal_connect.converters.base import PreparingConverter, SchemaAndValue
from kanal_connect.converters.jsonschema_converter import JsonSchemaConverter
from kanal_connect.data import Schema, Struct, array, logical, map_of, struct
from kanal_connect.data import schema as s
from kanal_connect.errors import DataException

from .conftest import Namer
from .registry_roundtrip import context, read, write

pytestmark = pytest.mark.integration

INNER = struct([("label", s.STRING), ("weight", s.OPTIONAL_FLOAT64)], name="Inner")
EVERYTHING = struct(
    [
        ("i8", s.INT8), ("i16", s.INT16), ("i32", s.INT32), ("i64", s.INT64),
        ("f32", s.FLOAT32), ("f64", s.FLOAT64), ("flag", s.BOOLEAN), ("text", s.STRING),
        ("blob", s.BYTES), ("maybe", s.OPTIONAL_STRING), ("list", array(s.INT32)),
        ("by_name", map_of(s.STRING, s.INT64)), ("by_id", map_of(s.INT32, s.STRING)),
        ("inner", INNER), ("no_inner", INNER.with_optional(True)),
        ("price", logical.decimal_schema(2)), ("day", logical.DATE), ("time", logical.TIME),
        ("at", logical.TIMESTAMP), ("fallback", s.INT32.with_default(42)),
    ],
    name="kanal.test.Everything",
)  # fmt: skip


def everything() -> Struct:
    return (
        Struct(EVERYTHING)
        .put("i8", -8).put("i16", 1600).put("i32", -(2**31)).put("i64", 2**63 - 1)
        .put("f32", 1.5).put("f64", 0.1).put("flag", True).put("text", "héllo \"q\"")
        .put("blob", b"\x00\xff").put("list", [1, 2]).put("by_name", {"a": 1})
        .put("by_id", {7: "seven"}).put("inner", Struct(INNER).put("label", "x"))
        .put("price", decimal.Decimal("-3.25")).put("day", dt.date(2024, 2, 29))
        .put("time", dt.time(13, 14, 15, 16000))
        .put("at", dt.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=dt.UTC))
    )  # fmt: skip


@pytest.fixture
async def converters(registry_url: str) -> AsyncIterator[tuple[JsonSchemaConverter, ...]]:
    made = tuple(JsonSchemaConverter() for _ in range(2))
    for converter in made:
        converter.configure({"schema.registry.url": registry_url}, False)
    yield made
    for converter in made:
        await converter.aclose()


async def test_every_connect_type_round_trips_through_the_registry(
    converters: tuple[JsonSchemaConverter, ...], registry: SchemaRegistryClient, unique: Namer
) -> None:
    writer, reader = converters
    assert isinstance(writer, PreparingConverter)
    topic = unique("everything")
    data = await write(writer, topic, EVERYTHING, everything())
    registered = registry.get_latest_version(f"{topic}-value")
    assert read_header(data) == registered.schema_id
    assert registered.schema.schema_type == "JSON"
    schema, value = await read(reader, topic, data)
    assert schema == EVERYTHING
    assert value == everything().put("fallback", 42)  # the default was written


async def test_a_null_value_is_a_tombstone(converters: tuple[JsonSchemaConverter, ...]) -> None:
    writer, reader = converters
    assert writer.from_connect("t", EVERYTHING, None) is None
    assert reader.to_connect("t", None) == SchemaAndValue(None, None)


async def test_ours_read_by_confluent_kafka(
    converters: tuple[JsonSchemaConverter, ...], confluent: ConfluentRegistry, unique: Namer
) -> None:
    topic = unique("ours")
    data = await write(converters[0], topic, EVERYTHING, everything())
    decoded: Any = JSONDeserializer(None, schema_registry_client=confluent)(data, context(topic))
    assert decoded["i64"] == 2**63 - 1
    assert decoded["text"] == "héllo \"q\""
    assert base64.b64decode(decoded["blob"]) == b"\x00\xff"
    assert decoded["by_id"] == [{"key": 7, "value": "seven"}]
    assert decoded["inner"] == {"label": "x", "weight": None}
    assert decoded["day"] == 19782 and decoded["time"] == 47655016
    assert decoded["fallback"] == 42


async def test_confluent_kafka_read_by_ours(
    converters: tuple[JsonSchemaConverter, ...], confluent: ConfluentRegistry, unique: Namer
) -> None:
    document = {
        "type": "object",
        "title": "Product",
        "properties": {
            "name": {"type": "string"},
            "price": {"type": "number"},
            "stock": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "note": {"oneOf": [{"type": "null"}, {"type": "string"}]},
        },
    }
    topic = unique("theirs")
    product = {"name": "lamp", "price": 9.5, "stock": 3, "tags": ["a"], "note": None}
    data = JSONSerializer(json.dumps(document), confluent)(product, context(topic))
    assert data is not None
    schema, value = await read(converters[1], topic, data)
    assert schema is not None and schema.name == "Product"
    assert isinstance(value, Struct)
    assert dict(value.items()) == product


async def test_invalid_json_is_refused_when_validation_is_on(
    registry_url: str, confluent: ConfluentRegistry, unique: Namer
) -> None:
    document = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}}
    topic = unique("strict")
    data = JSONSerializer(json.dumps(document), confluent)({"n": 5}, context(topic))
    assert data is not None
    bad = data[:5] + b'{"n": -1}'
    strict = JsonSchemaConverter()
    strict.configure({"schema.registry.url": registry_url, "json.fail.invalid.schema": "true"},
                     False)
    try:
        good = await read(strict, topic, data)
        assert isinstance(good.value, Struct) and good.value.get("n") == 5
        with pytest.raises(DataException, match="minimum"):
            await read(strict, topic, bad)
    finally:
        await strict.aclose()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pair=schema_and_value)
async def test_generated_schemas_and_values_round_trip(
    registry_url: str, unique: Namer, pair: tuple[Schema, object]
) -> None:
    schema, value = pair
    if value is None:
        return
    writer, reader = JsonSchemaConverter(), JsonSchemaConverter()
    for converter in (writer, reader):
        converter.configure({"schema.registry.url": registry_url}, False)
    try:
        topic = unique("generated")
        data = await write(writer, topic, schema, value)
        assert await read(reader, topic, data) == SchemaAndValue(schema, value)
    finally:
        await writer.aclose()
        await reader.aclose()


async def test_garbage_bytes_raise_data_exception_only(
    converters: tuple[JsonSchemaConverter, ...], unique: Namer
) -> None:
    topic = unique("fuzz")
    writer, reader = converters
    header = (await write(writer, topic, EVERYTHING, everything()))[:5]
    await reader.prepare_to_connect(topic, [header])

    @settings(max_examples=300, deadline=None)
    @given(st.binary(max_size=64) | st.binary(max_size=64).map(lambda b: header + b))
    def convert(data: bytes) -> None:
        with contextlib.suppress(DataException):
            reader.to_connect(topic, data)

    convert()
