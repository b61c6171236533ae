"""Acceptance: confluent-kafka's own SchemaRegistryClient and serializers against a real
registry process (over a real dev cluster), unchanged."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from confluent_kafka.schema_registry import (
    Schema,
    SchemaReference,
    SchemaRegistryClient,
    SchemaRegistryError,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from .registry_process import RegistryProcess

pytestmark = pytest.mark.integration


def avro_record(*fields: tuple[str, object], name: str = "User") -> str:
    return json.dumps({"type": "record", "name": name, "namespace": "com.acme",
                       "fields": [{"name": n, **(t if isinstance(t, dict) else {"type": t})}
                                  for n, t in fields]})


@pytest.fixture
def client(registry: RegistryProcess) -> Iterator[SchemaRegistryClient]:
    sr = SchemaRegistryClient({"url": registry.url})
    yield sr
    sr.close()


def test_avro_register_evolve_lookup_and_delete(client: SchemaRegistryClient) -> None:
    avro_v1 = avro_record(("name", "string"))
    v1 = Schema(avro_v1, "AVRO")
    v2 = Schema(avro_record(("name", "string"), ("age", {"type": "int", "default": 0})), "AVRO")
    first = client.register_schema("avro-flow-value", v1)
    assert client.register_schema("avro-flow-value", v1) == first
    second = client.register_schema("avro-flow-value", v2)
    assert second != first
    assert client.get_versions("avro-flow-value") == [1, 2]
    latest = client.get_latest_version("avro-flow-value")
    assert (latest.version, latest.schema_id) == (2, second)
    assert json.loads(client.get_schema(first).schema_str or "") == json.loads(avro_v1)
    found = client.lookup_schema("avro-flow-value", v1)
    assert (found.version, found.schema_id) == (1, first)
    assert "avro-flow-value" in client.get_subjects()

    incompatible = Schema(avro_record(("id", "long")), "AVRO")
    assert not client.test_compatibility("avro-flow-value", incompatible)
    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema("avro-flow-value", incompatible)
    assert (refused.value.http_status_code, refused.value.error_code) == (409, 409)

    assert client.delete_version("avro-flow-value", 2) == 2
    assert client.get_versions("avro-flow-value") == [1]
    assert client.delete_subject("avro-flow-value") == [1]
    with pytest.raises(SchemaRegistryError) as gone:
        client.get_versions("avro-flow-value")
    assert gone.value.error_code == 40401
    assert client.delete_subject("avro-flow-value", permanent=True) == [1, 2]
    fresh = SchemaRegistryClient({"url": client._rest_client.base_urls[0]})
    try:
        with pytest.raises(SchemaRegistryError) as no_id:
            fresh.get_schema(second)
        assert no_id.value.error_code == 40403
    finally:
        fresh.close()


def test_the_same_schema_has_one_id_across_subjects(client: SchemaRegistryClient,
                                                    registry: RegistryProcess) -> None:
    schema = Schema(avro_record(("k", "string"), name="Shared"), "AVRO")
    a = client.register_schema("shared-a", schema)
    b = client.register_schema("shared-b", schema)
    assert a == b
    assert sorted(client.get_subjects_by_schema_id(a)) == ["shared-a", "shared-b"]
    versions = client.get_schema_versions(a)
    assert sorted((v.subject, v.version) for v in versions) == [("shared-a", 1), ("shared-b", 1)]
    listed = httpx.get(f"{registry.url}/schemas", params={"subjectPrefix": "shared-",
                                                          "latestOnly": "TRUE"}).json()
    assert [(s["subject"], s["id"]) for s in listed] == [("shared-a", a), ("shared-b", a)]


def test_json_schema_and_protobuf_with_references(client: SchemaRegistryClient) -> None:
    address = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
               "properties": {"street": {"type": "string"}}}
    client.register_schema("json-address", Schema(json.dumps(address), "JSON"))
    person = {"type": "object", "properties": {"home": {"$ref": "address.json"}}}
    person_id = client.register_schema("json-person", Schema(
        json.dumps(person), "JSON", [SchemaReference("address.json", "json-address", 1)]))
    fetched = client.get_schema(person_id)
    assert fetched.schema_type == "JSON"
    assert [r.subject for r in fetched.references or ()] == ["json-address"]
    assert client.get_referenced_by("json-address", 1) == [person_id]

    common = 'syntax = "proto3";\npackage acme;\nmessage Money { int64 cents = 1; }\n'
    client.register_schema("proto-common", Schema(common, "PROTOBUF"))
    order = ('syntax = "proto3";\npackage acme;\nimport "acme/money.proto";\n'
             "message Order { string id = 1; acme.Money total = 2; }\n")
    order_id = client.register_schema("proto-order", Schema(
        order, "PROTOBUF", [SchemaReference("acme/money.proto", "proto-common", 1)]))
    latest = client.get_latest_version("proto-order")
    assert (latest.schema_id, latest.schema.schema_type) == (order_id, "PROTOBUF")
    with pytest.raises(SchemaRegistryError) as referenced:
        client.delete_subject("proto-common")
    assert referenced.value.error_code == 42206
    broken = 'syntax = "proto3";\nmessage Order { string id = 1; int32 id2 = 1; }\n'
    with pytest.raises(SchemaRegistryError) as invalid:
        client.register_schema("proto-order-bad", Schema(broken, "PROTOBUF"))
    assert invalid.value.error_code == 42201


def test_config_mode_and_compatibility_levels(client: SchemaRegistryClient) -> None:
    client.register_schema("cfg-value", Schema(avro_record(("a", "int")), "AVRO"))
    client.set_compatibility("cfg-value", "NONE")
    assert client.get_compatibility("cfg-value") == "NONE"
    assert client.register_schema("cfg-value", Schema(avro_record(("b", "long")), "AVRO")) > 0
    client.delete_config("cfg-value")
    with pytest.raises(SchemaRegistryError) as unset:
        client.get_compatibility("cfg-value")
    assert unset.value.error_code == 40408
    with pytest.raises(SchemaRegistryError) as bad_level:
        client.set_compatibility("cfg-value", "SIDEWAYS")
    assert bad_level.value.error_code == 42203

    assert client.update_mode("cfg-value", "READONLY") == "READONLY"
    assert client.get_mode("cfg-value") == "READONLY"
    with pytest.raises(SchemaRegistryError) as read_only:
        client.register_schema("cfg-value", Schema(avro_record(("c", "int")), "AVRO"))
    assert read_only.value.error_code == 42205
    assert client.delete_mode("cfg-value") == "READONLY"
    assert client.get_global_mode() == "READWRITE"


def test_compatibility_checks_answer_reasons_when_verbose(
        client: SchemaRegistryClient, registry: RegistryProcess) -> None:
    client.register_schema("verbose-value", Schema(avro_record(("a", "int")), "AVRO"))
    body = {"schema": avro_record(("z", "int"))}
    for path in ("/compatibility/subjects/verbose-value/versions/latest?verbose=TRUE",
                 "/compatibility/subjects/verbose-value/versions?verbose=True"):
        answer = httpx.post(registry.url + path, json=body,
                            headers={"Content-Type": "application/vnd.schemaregistry+json"})
        assert answer.status_code == 200
        verdict = answer.json()
        assert verdict["is_compatible"] is False
        assert any("READER_FIELD_MISSING_DEFAULT_VALUE" in m for m in verdict["messages"])
    quiet = httpx.post(registry.url + "/compatibility/subjects/verbose-value/versions/1"
                       "?verbose=false", json={"schema": avro_record(("a", "int"))})
    assert quiet.json() == {"is_compatible": True}


def test_confluents_serializers_round_trip_through_the_registry(
        client: SchemaRegistryClient) -> None:
    context = SerializationContext("serde-topic", MessageField.VALUE)
    avro_schema = avro_record(("name", "string"), ("age", "int"))
    serializer = AvroSerializer(client, avro_schema)
    payload = serializer({"name": "ada", "age": 36}, context)
    assert payload is not None and payload[0] == 0
    schema_id = int.from_bytes(payload[1:5], "big")
    assert client.get_latest_version("serde-topic-value").schema_id == schema_id
    fresh = SchemaRegistryClient({"url": client._rest_client.base_urls[0]})
    try:
        assert AvroDeserializer(fresh)(payload, context) == {"name": "ada", "age": 36}
        json_context = SerializationContext("serde-json", MessageField.VALUE)
        json_schema = json.dumps({"type": "object", "properties": {"n": {"type": "integer"}}})
        encoded = JSONSerializer(json_schema, client)({"n": 5}, json_context)
        assert JSONDeserializer(None, schema_registry_client=fresh)(encoded, json_context) == \
            {"n": 5}
    finally:
        fresh.close()


def test_confluents_protobuf_serializer_and_deserializer_use_the_serialized_format(
        client: SchemaRegistryClient) -> None:
    from confluent_kafka.schema_registry.protobuf import (
        ProtobufDeserializer,
        ProtobufSerializer,
    )
    from kanal.v1 import group_pb2

    # group.proto imports kanal/v1/common.proto: the serializer registers that file first, as a
    # reference, both as base64 descriptors; the deserializer reads both back in that form.
    context = SerializationContext("serde-proto", MessageField.VALUE)
    serializer = ProtobufSerializer(group_pb2.DescribeGroupsRequest, client,
                                    {"use.deprecated.format": False})
    message = group_pb2.DescribeGroupsRequest(group_ids=["a", "b"])
    payload = serializer(message, context)
    assert payload is not None
    latest = client.get_latest_version("serde-proto-value")
    assert latest.schema.schema_type == "PROTOBUF"
    assert "message DescribeGroupsRequest" in (latest.schema.schema_str or "")
    assert [r.name for r in latest.schema.references or ()] == ["kanal/v1/common.proto"]
    fresh = SchemaRegistryClient({"url": client._rest_client.base_urls[0]})
    try:
        deserializer = ProtobufDeserializer(group_pb2.DescribeGroupsRequest,
                                            {"use.deprecated.format": False}, fresh)
        assert deserializer(payload, context) == message
        # Registering the same message again finds the stored version: one id.
        assert serializer(message, context) == payload
    finally:
        fresh.close()


def test_import_mode_keeps_the_given_ids(client: SchemaRegistryClient,
                                        registry: RegistryProcess) -> None:
    schema = avro_record(("x", "int"), name="Imported")
    refused = httpx.post(f"{registry.url}/subjects/imported/versions",
                         json={"schema": schema, "id": 5000})
    assert refused.json()["error_code"] == 42205
    assert client.update_mode("imported", "IMPORT") == "IMPORT"
    answer = httpx.post(f"{registry.url}/subjects/imported/versions",
                        json={"schema": schema, "id": 5000, "version": 7})
    assert answer.json() == {"id": 5000, "version": 7}
    assert client.get_version("imported", 7).schema_id == 5000
    client.delete_mode("imported")
    # Ids allocated afterwards go above every imported one.
    assert client.register_schema("after-import", Schema(avro_record(("y", "int")), "AVRO")) > 5000
