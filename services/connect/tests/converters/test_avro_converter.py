"""The AvroConverter against a real schema registry: round trips through two converters,
bytes exchanged with confluent-kafka's AvroSerializer / AvroDeserializer in both directions,
and garbage bytes failing with DataException only."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import decimal
import json

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient as ConfluentRegistry
from confluent_kafka.schema_registry.avro import AvroDeserializer as CAvroDeserializer
from confluent_kafka.schema_registry.avro import AvroSerializer as CAvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal.serde import SchemaRegistryClient
from kanal.serde.wire import read_header
from kanal_connect.converters import converter_for
from kanal_connect.converters.avro_converter import AvroConverter
from kanal_connect.converters.base import SchemaAndValue
from kanal_connect.data import (
    FLOAT64,
    INT32,
    INT64,
    OPTIONAL_STRING,
    STRING,
    Struct,
    array,
    logical,
    map_of,
    struct,
)
from kanal_connect.errors import DataException

from .avro_samples import EVERY_TYPE, every_type_value
from .conftest import Namer

pytestmark = pytest.mark.integration

LINE = struct([("sku", STRING), ("quantity", INT32)], name="kanal.test.Line")
ORDER = struct([
    ("id", INT64), ("customer", STRING), ("note", OPTIONAL_STRING), ("lines", array(LINE)),
    ("tags", map_of(STRING, STRING)), ("total", logical.decimal_schema(2)),
    ("placed", logical.TIMESTAMP), ("ratio", FLOAT64),
], name="kanal.test.Order")  # fmt: skip
PLACED = dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=dt.UTC)
PAYMENT = {
    "type": "record", "name": "Payment", "namespace": "kanal.test",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "amount", "type": "double"},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}  # fmt: skip


def order() -> Struct:
    value = Struct(ORDER).put("id", 7).put("customer", "ann").put("ratio", 0.5)
    value.put("lines", [Struct(LINE).put("sku", "a-1").put("quantity", 2)])
    return value.put("tags", {"gift": "yes"}).put("total", decimal.Decimal("12.30")).put(
        "placed", PLACED)


def avro_converter(url: str, *, is_key: bool = False) -> AvroConverter:
    made = converter_for("AvroConverter")
    assert isinstance(made, AvroConverter)
    made.configure({"schema.registry.url": url}, is_key)
    return made


def context(topic: str, field: MessageField = MessageField.VALUE) -> SerializationContext:
    return SerializationContext(topic, field)


async def test_every_type_round_trips_through_the_registry(
    registry_url: str, registry: SchemaRegistryClient, unique: Namer
) -> None:
    topic = unique("avro")
    writer, reader = avro_converter(registry_url), avro_converter(registry_url)
    try:
        await writer.prepare_from_connect(topic, [EVERY_TYPE])
        data = writer.from_connect(topic, EVERY_TYPE, every_type_value())
        assert data is not None
        registered = registry.get_latest_version(f"{topic}-value")
        assert read_header(data) == registered.schema_id
        assert json.loads(registered.schema.schema_str)["name"] == "kanal.test.Row"
        await reader.prepare_to_connect(topic, [data])
        assert reader.to_connect(topic, data) == SchemaAndValue(EVERY_TYPE, every_type_value())
    finally:
        await writer.aclose()
        await reader.aclose()


async def test_keys_go_to_the_key_subject(
    registry_url: str, registry: SchemaRegistryClient, unique: Namer
) -> None:
    topic = unique("avro")
    keys = avro_converter(registry_url, is_key=True)
    try:
        await keys.prepare_from_connect(topic, [INT64])
        data = keys.from_connect(topic, INT64, 42)
        assert read_header(data or b"") == registry.get_latest_version(f"{topic}-key").schema_id
        assert keys.from_connect(topic, INT64, None) is None
    finally:
        await keys.aclose()


async def test_confluent_kafka_reads_what_we_write(
    registry_url: str, confluent: ConfluentRegistry, unique: Namer
) -> None:
    topic = unique("avro")
    conv = avro_converter(registry_url)
    try:
        await conv.prepare_from_connect(topic, [ORDER])
        data = conv.from_connect(topic, ORDER, order())
    finally:
        await conv.aclose()
    decoded = CAvroDeserializer(confluent)(data, context(topic))
    assert decoded == {
        "id": 7, "customer": "ann", "note": None,
        "lines": [{"sku": "a-1", "quantity": 2}], "tags": {"gift": "yes"},
        "total": decimal.Decimal("12.30"), "placed": PLACED, "ratio": 0.5,
    }  # fmt: skip


async def test_we_read_what_confluent_kafka_writes(
    registry_url: str, confluent: ConfluentRegistry, unique: Namer
) -> None:
    topic = unique("avro")
    serialize = CAvroSerializer(confluent, json.dumps(PAYMENT))
    theirs = serialize({"id": "p-1", "amount": 12.5, "tags": ["a"], "note": None}, context(topic))
    assert theirs is not None
    conv = avro_converter(registry_url)
    try:
        await conv.prepare_to_connect(topic, [theirs])
        read = conv.to_connect(topic, theirs)
    finally:
        await conv.aclose()
    assert read.schema is not None and read.schema.name == "kanal.test.Payment"
    assert [f.name for f in read.schema.fields] == ["id", "amount", "tags", "note"]
    assert read.schema.fields[3].schema == OPTIONAL_STRING
    assert isinstance(read.value, Struct)
    assert dict(read.value.items()) == {"id": "p-1", "amount": 12.5, "tags": ["a"], "note": None}


async def test_confluent_kafka_reads_our_keys(
    registry_url: str, confluent: ConfluentRegistry, unique: Namer
) -> None:
    topic = unique("avro")
    keys = avro_converter(registry_url, is_key=True)
    try:
        await keys.prepare_from_connect(topic, [STRING])
        data = keys.from_connect(topic, STRING, "k-1")
    finally:
        await keys.aclose()
    assert CAvroDeserializer(confluent)(data, context(topic, MessageField.KEY)) == "k-1"


@pytest.fixture(scope="module")
def prepared_reader(registry_cluster_url: str) -> tuple[AvroConverter, bytes]:
    """A converter that fetched one schema id, and a record of that id."""
    conv = avro_converter(registry_cluster_url)

    async def prepare() -> bytes:
        writer = avro_converter(registry_cluster_url)
        try:
            await writer.prepare_from_connect("fuzz", [ORDER])
            data = writer.from_connect("fuzz", ORDER, order())
            assert data is not None
            await conv.prepare_to_connect("fuzz", [data])
            return data
        finally:
            await writer.aclose()
            await conv.aclose()  # its cache stays filled: to_connect needs no client

    return conv, asyncio.run(prepare())


@settings(max_examples=300, deadline=None)
@given(garbage=st.binary(max_size=64), cut=st.integers(0, 80))
def test_garbage_bytes_raise_data_exception_only(
    prepared_reader: tuple[AvroConverter, bytes], garbage: bytes, cut: int
) -> None:
    conv, good = prepared_reader
    for data in (garbage, good[:5] + garbage, good[:cut] + garbage, good[:cut]):
        with contextlib.suppress(DataException):
            conv.to_connect("fuzz", data)
