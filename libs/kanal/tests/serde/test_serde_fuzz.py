"""Whole serializers and deserializers on arbitrary input, with the client's cache holding the
schemas (no registry involved): round trips, and bytes after a valid header that must give a
value or SerializationError, never another exception."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kanal.errors import SerializationError
from kanal.serde import (
    AvroDeserializer,
    AvroSerializer,
    JsonDeserializer,
    JsonSerializer,
    ProtobufDeserializer,
    Schema,
    SchemaId,
    SchemaRegistryClient,
)
from kanal.serde.wire import write_header

from .messages import Order

EVENT = {
    "type": "record",
    "name": "Event",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "labels", "type": {"type": "map", "values": "string"}},
        {"name": "score", "type": ["null", "float"], "default": None},
    ],
}
EVENT_SCHEMA = Schema(json.dumps(EVENT))
EVENT_ID = SchemaId(41)
DOC = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
DOC_SCHEMA = Schema(json.dumps(DOC), "JSON")
DOC_ID = SchemaId(42)


@pytest.fixture(scope="module")
def cached() -> Iterator[SchemaRegistryClient]:
    """A client whose cache holds both schemas; nothing listens at its URL, so any request
    would fail the test with SchemaRegistryError."""
    with SchemaRegistryClient("http://127.0.0.1:9", timeout_s=0.5) as client:
        for subject, schema, schema_id in (
            ("events-value", EVENT_SCHEMA, EVENT_ID),
            ("docs-value", DOC_SCHEMA, DOC_ID),
        ):
            client.cache.ids.put((subject, schema), schema_id)
            client.cache.schemas.put(schema_id, schema)
        yield client


events = st.fixed_dictionaries(
    {
        "id": st.integers(-(2**63), 2**63 - 1),
        "labels": st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
        "score": st.none() | st.floats(width=32, allow_nan=False),
    }
)


@given(events)
def test_avro_round_trip_from_the_cache(
    cached: SchemaRegistryClient, event: dict[str, Any]
) -> None:
    data = AvroSerializer(cached, EVENT).serialize(event, "events")
    assert data is not None and data[:5] == write_header(EVENT_ID)
    assert AvroDeserializer(cached)(data) == event


@given(st.integers())
def test_json_round_trip_from_the_cache(cached: SchemaRegistryClient, number: int) -> None:
    data = JsonSerializer(cached, DOC).serialize({"n": number}, "docs")
    assert JsonDeserializer(cached)(data) == {"n": number}


@given(st.binary(max_size=80))
def test_avro_deserializer_on_arbitrary_payloads(
    cached: SchemaRegistryClient, payload: bytes
) -> None:
    with contextlib.suppress(SerializationError):
        AvroDeserializer(cached)(write_header(EVENT_ID) + payload)


@given(st.binary(max_size=80))
def test_json_deserializer_on_arbitrary_payloads(
    cached: SchemaRegistryClient, payload: bytes
) -> None:
    with contextlib.suppress(SerializationError):
        JsonDeserializer(cached)(write_header(DOC_ID) + payload)


@given(st.binary(max_size=80))
def test_protobuf_deserializer_on_arbitrary_bytes(data: bytes) -> None:
    with contextlib.suppress(SerializationError):
        ProtobufDeserializer(Order)(data)
