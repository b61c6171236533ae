"""The format codecs without a registry: round trips, fastavro's bytes as the reference, and
malformed payloads that must raise SerializationError (never crash with something else)."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_writer
from hypothesis import given
from hypothesis import strategies as st
from kanal.errors import SerializationError
from kanal.serde.avro import AvroReaderCodec, AvroWriterCodec
from kanal.serde.codec import WriterSchema
from kanal.serde.json_schema import JsonReaderCodec, JsonWriterCodec
from kanal.serde.protobuf import ProtobufReaderCodec, ProtobufWriterCodec, message_indexes
from kanal.serde.schema_types import Schema, SchemaId

from .messages import Customer, Order, OrderLine

USER_SCHEMA = {
    "type": "record",
    "name": "User",
    "namespace": "kanal.test",
    "fields": [
        {"name": "name", "type": "string"},
        {"name": "age", "type": "int"},
        {"name": "score", "type": "double"},
        {"name": "active", "type": "boolean"},
        {"name": "email", "type": ["null", "string"], "default": None},
        {"name": "tags", "type": {"type": "array", "items": "long"}},
        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
        {"name": "blob", "type": "bytes"},
    ],
}
USER_TEXT = json.dumps(USER_SCHEMA)
USER_WRITER = WriterSchema(SchemaId(7), Schema(USER_TEXT))

users = st.fixed_dictionaries(
    {
        "name": st.text(),
        "age": st.integers(-(2**31), 2**31 - 1),
        "score": st.floats(allow_nan=False),
        "active": st.booleans(),
        "email": st.none() | st.text(),
        "tags": st.lists(st.integers(-(2**63), 2**63 - 1)),
        "kind": st.sampled_from(["A", "B"]),
        "blob": st.binary(),
    }
)


def encode(codec: AvroWriterCodec | JsonWriterCodec | ProtobufWriterCodec, value: Any) -> bytes:
    out = io.BytesIO()
    codec.encoder(codec.schema, ())(out, value)
    return out.getvalue()


@given(users)
def test_avro_round_trip_and_fastavro_bytes(user: dict[str, Any]) -> None:
    payload = encode(AvroWriterCodec(USER_SCHEMA), user)
    reference = io.BytesIO()
    schemaless_writer(reference, parse_schema(USER_SCHEMA), user)
    assert payload == reference.getvalue()
    assert AvroReaderCodec().decode(memoryview(payload), USER_WRITER) == user


def test_avro_reader_schema_resolves_an_added_field() -> None:
    writer = {"type": "record", "name": "P", "fields": [{"name": "a", "type": "int"}]}
    reader = {
        "type": "record",
        "name": "P",
        "fields": [{"name": "a", "type": "long"}, {"name": "b", "type": "string", "default": "x"}],
    }
    payload = encode(AvroWriterCodec(writer), {"a": 5})
    decoded = AvroReaderCodec(reader).decode(
        memoryview(payload), WriterSchema(SchemaId(1), Schema(json.dumps(writer)))
    )
    assert decoded == {"a": 5, "b": "x"}


def test_avro_record_name_is_the_full_name() -> None:
    assert AvroWriterCodec(USER_SCHEMA).record_name == "kanal.test.User"
    assert AvroWriterCodec('"string"').record_name is None


@pytest.mark.parametrize(
    "value", [{"name": "x"}, {**dict.fromkeys(USER_SCHEMA), "age": "old"}, "not a record"]
)
def test_avro_value_not_matching_its_schema(value: Any) -> None:
    with pytest.raises(SerializationError):
        encode(AvroWriterCodec(USER_SCHEMA), value)


def test_invalid_avro_schema() -> None:
    codec = AvroWriterCodec({"type": "record", "name": "R", "fields": [{"name": "a"}]})
    with pytest.raises(SerializationError, match="invalid Avro schema"):
        codec.encoder(codec.schema, ())


@given(st.binary(max_size=64))
def test_avro_arbitrary_bytes(data: bytes) -> None:
    with contextlib.suppress(SerializationError):
        AvroReaderCodec().decode(memoryview(data), USER_WRITER)


ORDER_JSON_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Order",
    "type": "object",
    "properties": {"id": {"type": "integer"}, "items": {"type": "array"}},
    "required": ["id"],
}
ORDER_WRITER = WriterSchema(SchemaId(3), Schema(json.dumps(ORDER_JSON_SCHEMA), "JSON"))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=10,
)


@given(st.integers(), st.lists(json_values, max_size=4))
def test_json_round_trip(order_id: int, items: list[Any]) -> None:
    order = {"id": order_id, "items": items}
    payload = encode(JsonWriterCodec(ORDER_JSON_SCHEMA), order)
    assert json.loads(payload) == order
    assert JsonReaderCodec().decode(memoryview(payload), ORDER_WRITER) == order


def test_json_validation_both_ways() -> None:
    with pytest.raises(SerializationError, match="fails its JSON schema at id"):
        encode(JsonWriterCodec(ORDER_JSON_SCHEMA), {"id": "seven"})
    with pytest.raises(SerializationError, match="required"):
        JsonReaderCodec().decode(memoryview(b'{"items": []}'), ORDER_WRITER)
    assert encode(JsonWriterCodec(ORDER_JSON_SCHEMA, validate=False), {"id": "x"}) == b'{"id":"x"}'
    assert JsonWriterCodec(ORDER_JSON_SCHEMA).record_name == "Order"


def test_invalid_json_schema() -> None:
    codec = JsonWriterCodec({"type": 12})
    with pytest.raises(SerializationError, match="invalid JSON schema"):
        codec.encoder(codec.schema, ())


@given(st.binary(max_size=64))
def test_json_arbitrary_bytes(data: bytes) -> None:
    with contextlib.suppress(SerializationError):
        JsonReaderCodec().decode(memoryview(data), ORDER_WRITER)


def test_json_nested_too_deep_is_a_serialization_error() -> None:
    with pytest.raises(SerializationError):
        JsonReaderCodec().decode(memoryview(b"[" * 100_000), ORDER_WRITER)


def test_protobuf_index_paths() -> None:
    assert message_indexes(Customer) == [0]
    assert message_indexes(Order) == [1]
    assert message_indexes(OrderLine) == [1, 0]


@given(
    st.integers(-(2**63), 2**63 - 1),
    st.text(),
    st.floats(allow_nan=False),
    st.lists(st.text(), max_size=3),
)
def test_protobuf_round_trip(order_id: int, customer: str, total: float, tags: list[str]) -> None:
    order = Order(id=order_id, customer=customer, total=total, tags=tags)
    order.lines.add(sku="a", quantity=2)  # type: ignore[attr-defined]
    payload = encode(ProtobufWriterCodec(Order), order)
    assert payload.startswith(b"\x02\x02")  # index path [1]
    assert payload[2:] == order.SerializeToString()
    assert ProtobufReaderCodec(Order).decode(memoryview(payload), None) == order


def test_protobuf_first_message_uses_the_short_path_and_wrong_types_are_refused() -> None:
    assert encode(ProtobufWriterCodec(Customer), Customer(name="x")) == b"\x00\x0a\x01x"
    with pytest.raises(SerializationError, match=r"expected a kanaltest\.Order"):
        encode(ProtobufWriterCodec(Order), Customer(name="x"))


@given(st.binary(max_size=64))
def test_protobuf_arbitrary_bytes(data: bytes) -> None:
    with contextlib.suppress(SerializationError):
        ProtobufReaderCodec(Order).decode(memoryview(data), None)
