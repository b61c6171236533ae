"""Serializers and deserializers through a real registry: subject strategies, auto-register
on and off, use-latest-version, references, and the SDK's producer and consumer hooks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kanal import Admin, Consumer, NewTopic, Producer
from kanal.devcluster.cluster import DevCluster
from kanal.errors import SchemaRegistryError, SerializationError
from kanal.serde import (
    AvroDeserializer,
    AvroSerializer,
    JsonDeserializer,
    JsonSerializer,
    ProtobufDeserializer,
    ProtobufSerializer,
    Schema,
    SchemaReference,
    SchemaRegistryClient,
    SerializerSettings,
    record_name_strategy,
    topic_record_name_strategy,
)
from kanal.serde.wire import read_header

from .conftest import Namer
from .messages import Order, Shipment

pytestmark = pytest.mark.integration

USER = {
    "type": "record",
    "name": "User",
    "namespace": "kanal.test",
    "fields": [{"name": "name", "type": "string"}, {"name": "age", "type": "int"}],
}
USER_V2 = {
    **USER,
    "fields": [*USER["fields"], {"name": "email", "type": ["null", "string"], "default": None}],
}
ALICE = {"name": "alice", "age": 30}


def test_avro_round_trip_registers_under_the_topic_subject(
    registry: SchemaRegistryClient, unique: Namer
) -> None:
    topic = unique("users")
    data = AvroSerializer(registry, USER).serialize(ALICE, topic)
    assert data is not None
    assert registry.get_latest_version(f"{topic}-value").schema_id == read_header(data)
    assert AvroDeserializer(registry)(data) == ALICE
    assert AvroSerializer(registry, USER).serialize(None, topic) is None


@pytest.mark.parametrize(
    ("strategy", "subject"),
    [
        (record_name_strategy, "kanal.test.User"),
        (topic_record_name_strategy, "{topic}-kanal.test.User"),
    ],
)
def test_record_subject_strategies(
    registry: SchemaRegistryClient, unique: Namer, strategy: Any, subject: str
) -> None:
    topic = unique("users")
    settings = SerializerSettings(subject_name_strategy=strategy)
    data = AvroSerializer(registry, USER, settings=settings).serialize(ALICE, topic)
    assert data is not None
    found = registry.get_latest_version(subject.format(topic=topic))
    assert found.schema_id == read_header(data)


def test_without_auto_register_the_schema_must_exist(
    registry: SchemaRegistryClient, unique: Namer
) -> None:
    topic = unique("users")
    strict = AvroSerializer(registry, USER, settings=SerializerSettings(auto_register=False))
    with pytest.raises(SchemaRegistryError) as missing:
        strict.serialize(ALICE, topic)
    assert missing.value.error_code in (40401, 40403)
    registry.register_schema(f"{topic}-value", Schema(json.dumps(USER)))
    assert AvroDeserializer(registry)(strict.serialize(ALICE, topic)) == ALICE


def test_use_latest_version_writes_with_the_latest_schema(
    registry: SchemaRegistryClient, unique: Namer
) -> None:
    topic = unique("users")
    registry.register_schema(f"{topic}-value", Schema(json.dumps(USER)))
    latest_id = registry.register_schema(f"{topic}-value", Schema(json.dumps(USER_V2)))
    settings = SerializerSettings(use_latest_version=True, auto_register=False)
    data = AvroSerializer(registry, USER, settings=settings).serialize(
        {**ALICE, "email": "a@example.org"}, topic
    )
    assert data is not None and read_header(data) == latest_id
    assert AvroDeserializer(registry)(data) == {**ALICE, "email": "a@example.org"}
    # A reader on the old schema resolves the new field away.
    assert AvroDeserializer(registry, reader_schema=USER)(data) == ALICE


def test_avro_references(registry: SchemaRegistryClient, unique: Namer) -> None:
    address = {
        "type": "record",
        "name": "Address",
        "namespace": "kanal.test",
        "fields": [{"name": "city", "type": "string"}],
    }
    address_subject = unique("address")
    registry.register_schema(address_subject, Schema(json.dumps(address)))
    person = {
        "type": "record",
        "name": "Person",
        "namespace": "kanal.test",
        "fields": [{"name": "home", "type": "kanal.test.Address"}],
    }
    reference = SchemaReference("kanal.test.Address", address_subject, 1)
    topic = unique("people")
    value = {"home": {"city": "Lyon"}}
    data = AvroSerializer(registry, person, references=[reference]).serialize(value, topic)
    with SchemaRegistryClient(registry.urls) as fresh:  # resolves the reference itself
        assert AvroDeserializer(fresh)(data) == value


def test_unknown_schema_id_is_a_serialization_error(registry: SchemaRegistryClient) -> None:
    with pytest.raises(SerializationError, match="unknown to the registry"):
        AvroDeserializer(registry)(b"\x00\x7f\xff\xff\xf0payload")
    with pytest.raises(SerializationError, match="magic byte"):
        AvroDeserializer(registry)(b"\x01\x00\x00\x00\x01")


def test_json_schema_round_trip(registry: SchemaRegistryClient, unique: Namer) -> None:
    schema = {"title": "Order", "type": "object", "properties": {"id": {"type": "integer"}}}
    topic = unique("orders")
    data = JsonSerializer(registry, schema).serialize({"id": 7}, topic)
    assert registry.get_latest_version(f"{topic}-value").schema.schema_type == "JSON"
    assert JsonDeserializer(registry)(data) == {"id": 7}
    with pytest.raises(SerializationError):
        JsonSerializer(registry, schema).serialize({"id": "seven"}, topic)


def test_protobuf_round_trip(registry: SchemaRegistryClient, unique: Namer) -> None:
    topic = unique("orders")
    order = Order(id=3, customer="bob", total=9.5, tags=["x"])
    data = ProtobufSerializer(registry, Order).serialize(order, topic)
    assert registry.get_latest_version(f"{topic}-value").schema.schema_type == "PROTOBUF"
    assert ProtobufDeserializer(Order)(data) == order


def test_protobuf_imports_become_references(registry: SchemaRegistryClient, unique: Namer) -> None:
    topic = unique("shipments")
    shipment = Shipment(order=Order(id=1, customer="eve"))
    shipment.at.seconds = 1_700_000_000  # type: ignore[attr-defined]
    data = ProtobufSerializer(registry, Shipment).serialize(shipment, topic)
    registered = registry.get_latest_version(f"{topic}-value").schema
    assert [(r.name, r.subject) for r in registered.references] == [
        ("kanaltest/orders.proto", "kanaltest/orders.proto")
    ]
    assert 'import "google/protobuf/timestamp.proto";' in registered.schema_str
    assert ProtobufDeserializer(Shipment)(data) == shipment


def test_producer_and_consumer_hooks(registry_cluster: DevCluster, unique: Namer) -> None:
    topic = unique("users")
    with Admin(bootstrap_servers=registry_cluster.bootstrap) as admin:
        admin.create_topics([NewTopic(topic, 1, 1)])
    with SchemaRegistryClient(registry_cluster.registry_url) as registry:
        serializer = AvroSerializer(registry, USER)
        with Producer(
            bootstrap_servers=registry_cluster.bootstrap,
            value_serializer=serializer.for_topic(topic),
        ) as producer:
            producer.send(topic, value=ALICE).get(timeout=30)
        with Consumer(
            topic,
            bootstrap_servers=registry_cluster.bootstrap,
            auto_offset_reset="earliest",
            consumer_timeout_ms=20_000,
            value_deserializer=AvroDeserializer(registry),
        ) as consumer:
            record = next(iter(consumer))
    assert record.value == ALICE
