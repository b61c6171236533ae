"""Protobuf both ways between confluent-kafka's serdes and ours, through our registry process.

The message (kanal_interop/order.proto) has a nested message, a repeated field, a map, enums,
a oneof, an imported well-known type and an import of another of our files, and it is not the
file's first message: confluent-kafka registers the imported file under its own subject and
refers to it, frames the record with message indexes [1] (or [1, 0] for the nested Line), and
registers the file as a base64 descriptor, where our serializer registers .proto text."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient as ConfluentRegistry
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer as TheirDeserializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer as TheirSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from kanal.serde import (
    ProtobufDeserializer,
    ProtobufSerializer,
    SchemaRegistryClient,
    SerializerSettings,
)
from kanal.serde.wire import HEADER_SIZE, decode_message_indexes, read_header

from .conftest import Namer
from .interop_messages import compiled_modules

pytestmark = pytest.mark.integration

MONEY_FILE = "kanal_interop/money.proto"


@pytest.fixture(scope="module")
def modules(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModuleType, ModuleType]:
    return compiled_modules(tmp_path_factory.mktemp("generated"))


@pytest.fixture(scope="module")
def pb(modules: tuple[ModuleType, ModuleType]) -> ModuleType:
    return modules[0]


@pytest.fixture(scope="module")
def money(modules: tuple[ModuleType, ModuleType]) -> ModuleType:
    return modules[1]


def full_order(pb: ModuleType, money: ModuleType) -> Any:
    order = pb.Order(
        id=7,
        status=money.SHIPPED,
        priority=pb.Order.RUSH,
        tags=["gift", "fragile"],
        email="a@example.com",
    )
    order.lines.add(sku="s-1", quantity=2, price=money.Money(currency="EUR", units=5))
    order.lines.add(sku="s-2", quantity=1)
    order.attributes["channel"] = "web"
    order.attributes["coupon"] = "X1"
    order.placed_at.seconds = 1_700_000_000
    order.placed_at.nanos = 5
    order.total.currency = "EUR"
    order.total.units = 10
    return order


def value_context(topic: str) -> SerializationContext:
    return SerializationContext(topic, MessageField.VALUE)


def test_confluent_serializer_to_our_deserializer(
    pb: ModuleType,
    money: ModuleType,
    confluent: ConfluentRegistry,
    registry: SchemaRegistryClient,
    unique: Namer,
) -> None:
    topic = unique("orders")
    order = full_order(pb, money)
    data = TheirSerializer(pb.Order, confluent, {"use.deprecated.format": False})(
        order, value_context(topic)
    )
    assert data is not None
    assert decode_message_indexes(data, HEADER_SIZE)[0] == [1]
    assert ProtobufDeserializer(pb.Order, registry)(data) == order
    stored = registry.get_schema(read_header(data))
    assert [(r.name, r.subject) for r in stored.references] == [(MONEY_FILE, MONEY_FILE)]


def test_our_serializer_to_confluent_deserializer(
    pb: ModuleType,
    money: ModuleType,
    confluent: ConfluentRegistry,
    registry: SchemaRegistryClient,
    unique: Namer,
) -> None:
    topic = unique("orders")
    order = full_order(pb, money)
    data = ProtobufSerializer(registry, pb.Order).serialize(order, topic)
    assert data is not None
    assert decode_message_indexes(data, HEADER_SIZE)[0] == [1]
    reader = TheirDeserializer(pb.Order, {"use.deprecated.format": False}, confluent)
    assert reader(data, value_context(topic)) == order


def test_nested_message_both_ways(
    pb: ModuleType,
    money: ModuleType,
    confluent: ConfluentRegistry,
    registry: SchemaRegistryClient,
    unique: Namer,
) -> None:
    line = pb.Order.Line(sku="n-1", quantity=3, price=money.Money(units=1))
    ours = ProtobufSerializer(registry, pb.Order.Line).serialize(line, unique("lines"))
    assert ours is not None
    assert decode_message_indexes(ours, HEADER_SIZE)[0] == [1, 0]
    reader = TheirDeserializer(pb.Order.Line, {"use.deprecated.format": False}, confluent)
    assert reader(ours, value_context(unique("lines"))) == line
    topic = unique("lines")
    theirs = TheirSerializer(pb.Order.Line, confluent, {"use.deprecated.format": False})(
        line, value_context(topic)
    )
    assert theirs is not None
    assert decode_message_indexes(theirs, HEADER_SIZE)[0] == [1, 0]
    assert ProtobufDeserializer(pb.Order.Line, registry)(theirs) == line
    # confluent-kafka reads its own bytes back through the descriptor our registry rebuilt
    # from the .proto text it stored for confluent-kafka's base64 registration.
    assert reader(theirs, value_context(topic)) == line


def test_the_same_file_gets_the_same_id_from_either_serializer(
    pb: ModuleType,
    money: ModuleType,
    confluent: ConfluentRegistry,
    registry: SchemaRegistryClient,
    unique: Namer,
) -> None:
    """confluent-kafka registers a base64 descriptor, ours .proto text: the registry stores
    one schema for both, as Confluent's registry does."""
    topic = unique("orders")
    order = full_order(pb, money)
    theirs = TheirSerializer(pb.Order, confluent, {"use.deprecated.format": False})(
        order, value_context(topic)
    )
    ours = ProtobufSerializer(registry, pb.Order).serialize(order, topic)
    assert theirs is not None and ours is not None
    assert read_header(ours) == read_header(theirs)
    assert ours == theirs
    assert registry.get_versions(f"{topic}-value") == [1]


def test_normalized_registrations_interoperate(
    pb: ModuleType,
    money: ModuleType,
    confluent: ConfluentRegistry,
    registry: SchemaRegistryClient,
    unique: Namer,
) -> None:
    """Both serializers asking the registry to normalize: the stored (normalized) text still
    rebuilds a descriptor whose message indexes and references readers can follow."""
    topic = unique("orders")
    order = full_order(pb, money)
    normalizing = {"use.deprecated.format": False, "normalize.schemas": True}
    theirs = TheirSerializer(pb.Order, confluent, normalizing)(order, value_context(topic))
    ours = ProtobufSerializer(
        registry, pb.Order, settings=SerializerSettings(normalize=True)
    ).serialize(order, topic)
    assert theirs is not None and ours is not None
    assert read_header(ours) == read_header(theirs)
    reader = TheirDeserializer(pb.Order, {"use.deprecated.format": False}, confluent)
    assert reader(ours, value_context(topic)) == order
    assert ProtobufDeserializer(pb.Order, registry)(theirs) == order


def test_confluent_serializer_writes_with_the_latest_version_we_registered(
    pb: ModuleType,
    money: ModuleType,
    confluent: ConfluentRegistry,
    registry: SchemaRegistryClient,
    unique: Namer,
) -> None:
    """use.latest.version makes confluent-kafka rebuild our registered file from its
    serialized form (references included) and find the message in it by name."""
    topic = unique("orders")
    order = full_order(pb, money)
    ours = ProtobufSerializer(registry, pb.Order).serialize(order, topic)
    latest_only = {
        "use.deprecated.format": False,
        "auto.register.schemas": False,
        "use.latest.version": True,
    }
    theirs = TheirSerializer(pb.Order, confluent, latest_only)(order, value_context(topic))
    assert ours is not None and theirs == ours
