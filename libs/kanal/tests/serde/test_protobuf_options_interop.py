"""A Protobuf file with options (kanal_interop/options.proto: file, message, field, enum and
enum value options, explicit `json_name`s, a map declared after a nested message) gets ONE
schema id and version from our registry whichever way it arrives: confluent-kafka's base64
descriptor, our serializer's .proto text, or the text as a person or Java's serializer wrote
it (other layout, comments, option order, short type names). The stored text keeps the
options, and records written by either serializer are read by both."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import httpx
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient as ConfluentRegistry
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer as TheirDeserializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer as TheirSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from kanal.devcluster.cluster import DevCluster
from kanal.serde import ProtobufDeserializer, ProtobufSerializer, SchemaRegistryClient
from kanal.serde.schema_types import Schema
from kanal.serde.wire import HEADER_SIZE, decode_message_indexes, read_header

from .conftest import Namer
from .interop_messages import options_module

pytestmark = pytest.mark.integration

NEW_FORMAT = {"use.deprecated.format": False}
HAND_WRITTEN = """
syntax = "proto3";   package kanal.interop.opts;
/* options in another order */
option java_multiple_files = true;
option java_package = 'io.kanal.interop';
option optimize_for = SPEED;
message Shipment {
  message Parcel { string label = 1 [ json_name = "parcelLabel" ]; }
  option deprecated = true;
  string tracking_code = 1 [deprecated=true,json_name="trk"];  // the id a carrier gives
  map<string,int32> weights = 2;
  repeated int32 sizes = 3 [packed = false];
  Mode mode = 4;
  enum Mode { option allow_alias = true; MODE_UNSPECIFIED = 0; ROAD = 1;
              TRUCK = 1 [deprecated = true]; }
}
"""


@pytest.fixture(scope="module")
def opts(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    return options_module(tmp_path_factory.mktemp("generated"))


def shipment(opts: ModuleType) -> Any:
    sent = opts.Shipment(tracking_code="T-1", sizes=[3, 4], mode=opts.Shipment.TRUCK)
    sent.weights["box"] = 12
    return sent


def context(topic: str) -> SerializationContext:
    return SerializationContext(topic, MessageField.VALUE)


def test_a_file_with_options_gets_one_id_from_every_client(
    opts: ModuleType, confluent: ConfluentRegistry, registry: SchemaRegistryClient,
    registry_cluster: DevCluster, unique: Namer,
) -> None:
    topic = unique("shipments")
    subject = f"{topic}-value"
    write = TheirSerializer(opts.Shipment, confluent, NEW_FORMAT)
    theirs = write(shipment(opts), context(topic))
    ours = ProtobufSerializer(registry, opts.Shipment).serialize(shipment(opts), topic)
    assert theirs is not None and ours is not None
    assert read_header(ours) == read_header(theirs)
    assert ours == theirs
    typed = registry.register_schema(subject, Schema(HAND_WRITTEN, "PROTOBUF"))
    assert typed == read_header(ours)
    assert registry.get_versions(subject) == [1]
    # Asked over HTTP: the clients would answer from their caches.
    answer = httpx.get(f"{registry_cluster.registry_url}/schemas/ids/{typed}", timeout=10)
    stored = answer.json()["schema"]
    for kept in ('option java_package = "io.kanal.interop";', "option optimize_for = SPEED;",
                 "option deprecated = true;", 'json_name = "trk"', "packed = false",
                 'json_name = "parcelLabel"', "TRUCK = 1 [deprecated = true];"):
        assert kept in stored
    assert "carrier" not in stored


def test_a_file_with_options_is_read_both_ways(
    opts: ModuleType, confluent: ConfluentRegistry, registry: SchemaRegistryClient,
    unique: Namer,
) -> None:
    """The Parcel message keeps index [0, 0] and the map's entry [0, 1] in the stored text."""
    sent = shipment(opts)
    topic = unique("shipments")
    ours = ProtobufSerializer(registry, opts.Shipment).serialize(sent, topic)
    assert ours is not None
    assert TheirDeserializer(opts.Shipment, NEW_FORMAT, confluent)(ours, context(topic)) == sent
    parcel = opts.Shipment.Parcel(label="p")
    theirs = TheirSerializer(opts.Shipment.Parcel, confluent, NEW_FORMAT)(parcel, context(topic))
    assert theirs is not None
    assert decode_message_indexes(theirs, HEADER_SIZE)[0] == [0, 0]
    assert ProtobufDeserializer(opts.Shipment.Parcel, registry)(theirs) == parcel
    reader = TheirDeserializer(opts.Shipment.Parcel, NEW_FORMAT, confluent)
    assert reader(theirs, context(topic)) == parcel
