"""Cross-compatibility with confluent-kafka's serdes, through the same real registry: bytes our
serializers write are read by confluent-kafka's deserializers, and the reverse."""

from __future__ import annotations

import json
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient as ConfluentRegistry
from confluent_kafka.schema_registry.avro import AvroDeserializer as CAvroDeserializer
from confluent_kafka.schema_registry.avro import AvroSerializer as CAvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer as CJsonDeserializer
from confluent_kafka.schema_registry.json_schema import JSONSerializer as CJsonSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer as CProtoDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from kanal.serde import (
    AvroDeserializer,
    AvroSerializer,
    JsonDeserializer,
    JsonSerializer,
    ProtobufDeserializer,
    ProtobufSerializer,
    SchemaRegistryClient,
)
from kanal.serde.wire import read_header

from .conftest import Namer
from .messages import Order

pytestmark = pytest.mark.integration

PAYMENT = {
    "type": "record",
    "name": "Payment",
    "namespace": "kanal.test",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "amount", "type": "double"},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}
PAYMENT_VALUE = {"id": "p-1", "amount": 12.5, "tags": ["a", "b"], "note": None}
PRODUCT = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Product",
    "type": "object",
    "properties": {"sku": {"type": "string"}, "price": {"type": "number", "minimum": 0}},
    "required": ["sku"],
}
PRODUCT_VALUE = {"sku": "x-1", "price": 3.25}


def context(topic: str) -> SerializationContext:
    return SerializationContext(topic, MessageField.VALUE)


def test_avro_ours_to_confluent(
    registry: SchemaRegistryClient, confluent: ConfluentRegistry, unique: Namer
) -> None:
    topic = unique("payments")
    data = AvroSerializer(registry, PAYMENT).serialize(PAYMENT_VALUE, topic)
    assert CAvroDeserializer(confluent)(data, context(topic)) == PAYMENT_VALUE


def test_avro_confluent_to_ours_with_the_same_schema_id(
    registry: SchemaRegistryClient, confluent: ConfluentRegistry, unique: Namer
) -> None:
    topic = unique("payments")
    theirs = CAvroSerializer(confluent, json.dumps(PAYMENT))(PAYMENT_VALUE, context(topic))
    assert theirs is not None
    assert AvroDeserializer(registry)(theirs) == PAYMENT_VALUE
    ours = AvroSerializer(registry, PAYMENT).serialize(PAYMENT_VALUE, topic)
    assert ours == theirs  # same id from the registry, same Avro bytes


def test_json_both_ways(
    registry: SchemaRegistryClient, confluent: ConfluentRegistry, unique: Namer
) -> None:
    topic = unique("products")
    ours = JsonSerializer(registry, PRODUCT).serialize(PRODUCT_VALUE, topic)
    assert CJsonDeserializer(None, schema_registry_client=confluent)(ours, context(topic)) == (
        PRODUCT_VALUE
    )
    theirs = CJsonSerializer(json.dumps(PRODUCT), confluent)(PRODUCT_VALUE, context(topic))
    assert theirs is not None
    assert read_header(theirs) == read_header(ours or b"")
    assert JsonDeserializer(registry)(theirs) == PRODUCT_VALUE


def test_protobuf_ours_to_confluent(
    registry: SchemaRegistryClient, confluent: ConfluentRegistry, unique: Namer
) -> None:
    topic = unique("orders")
    order = Order(id=9, customer="carol", total=1.5, tags=["t"])
    order.lines.add(sku="s", quantity=1)  # type: ignore[attr-defined]
    data = ProtobufSerializer(registry, Order).serialize(order, topic)
    reader = CProtoDeserializer(Order, {"use.deprecated.format": False})
    decoded: Any = reader(data, context(topic))
    assert decoded == order


def test_protobuf_confluent_bytes_to_ours(unique: Namer) -> None:
    """confluent-kafka's ProtobufSerializer registers the file as a base64 descriptor; its
    framing (header, index path) is what ConfluentSchemaId writes, checked in test_wire.py.
    Here: a payload framed by confluent-kafka's own writer decodes with ours."""
    from confluent_kafka.schema_registry.common.serde import SchemaId as ConfluentSchemaId

    order = Order(id=4, customer="dan")
    framed = ConfluentSchemaId("PROTOBUF", 77, None, [1]).id_to_bytes() + order.SerializeToString()
    assert ProtobufDeserializer(Order)(framed) == order
