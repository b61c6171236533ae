"""The REST endpoints and query variants confluent-kafka's client does not reach on its own,
over raw HTTP: `subjectPrefix` and every `deleted=true`, `/schemas/ids/{id}/...`, `referencedby`,
`/schemas/types`, `format=serialized`, the three request content types, IMPORT mode's id rules,
and `verbose` reasons for JSON Schema and Protobuf."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest
from google.protobuf import descriptor_pb2

from .registry_process import RegistryProcess

pytestmark = pytest.mark.integration


def avro(name: str, *fields: str) -> str:
    return json.dumps({"type": "record", "name": name,
                       "fields": [{"name": f, "type": "int", "default": 0} for f in fields]})


@pytest.fixture
def http(registry: RegistryProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=registry.url, timeout=30) as client:
        yield client


def register(http: httpx.Client, subject: str, body: dict[str, object]) -> dict[str, int]:
    answer = http.post(f"/subjects/{subject}/versions", json=body)
    assert answer.status_code == 200, answer.text
    found: dict[str, int] = answer.json()
    return found


def test_prefixes_and_deleted_variants(http: httpx.Client) -> None:
    first = register(http, "srf-a", {"schema": avro("A", "x")})["id"]
    register(http, "srf-a", {"schema": avro("A", "x", "y")})
    register(http, "srf-b", {"schema": avro("A", "x")})
    register(http, "other-c", {"schema": avro("C", "x")})
    assert http.delete("/subjects/srf-a/versions/1").json() == 1
    assert http.delete("/subjects/srf-b").json() == [1]

    assert http.get("/subjects", params={"subjectPrefix": "srf-"}).json() == ["srf-a"]
    assert http.get("/subjects", params={"subjectPrefix": "srf-", "deleted": "True"}).json() == [
        "srf-a", "srf-b"]
    assert http.get("/subjects/srf-a/versions").json() == [2]
    assert http.get("/subjects/srf-a/versions", params={"deleted": "true"}).json() == [1, 2]
    assert http.get("/subjects/srf-a/versions/1").json()["error_code"] == 40402
    assert http.get("/subjects/srf-a/versions/1", params={"deleted": "true"}).json()["id"] == first
    assert http.get("/subjects/srf-a/versions/1/schema",
                    params={"deleted": "true"}).json() == json.loads(avro("A", "x"))
    old = {"schema": avro("A", "x")}
    assert http.post("/subjects/srf-a", json=old).json()["error_code"] == 40403
    assert http.post("/subjects/srf-a", params={"deleted": "TRUE"}, json=old).json()[
        "version"] == 1
    assert http.get(f"/schemas/ids/{first}/subjects").json() == []
    assert http.get(f"/schemas/ids/{first}/subjects", params={"deleted": "true"}).json() == [
        "srf-a", "srf-b"]
    assert http.get(f"/schemas/ids/{first}/versions", params={"deleted": "true"}).json() == [
        {"subject": "srf-a", "version": 1}, {"subject": "srf-b", "version": 1}]
    assert http.get(f"/schemas/ids/{first}/schema").json() == json.loads(avro("A", "x"))
    assert http.get("/subjects/srf-b/versions/latest").json()["error_code"] == 40401
    assert http.get("/subjects/srf-b/versions/-1", params={"deleted": "true"}).json()[
        "version"] == 1

    # Deleting twice, or for good before softly: Confluent's 4040x codes.
    assert http.delete("/subjects/srf-b").json()["error_code"] == 40404
    assert http.delete("/subjects/srf-a/versions/1").json()["error_code"] == 40406
    assert http.delete("/subjects/srf-a/versions/2",
                       params={"permanent": "true"}).json()["error_code"] == 40407
    assert http.delete("/subjects/srf-a/versions/1", params={"permanent": "true"}).json() == 1
    assert http.get("/subjects/srf-a/versions", params={"deleted": "true"}).json() == [2]


def test_types_references_and_the_serialized_format(http: httpx.Client) -> None:
    assert http.get("/schemas/types").json() == ["JSON", "PROTOBUF", "AVRO"]
    common = 'syntax = "proto3";\npackage srf;\nmessage Money { int64 cents = 1; }\n'
    money = register(http, "srf-money", {"schema": common, "schemaType": "PROTOBUF"})["id"]
    order = ('syntax = "proto3";\npackage srf;\nimport "srf/money.proto";\n'
             "message Line { string sku = 1; }\n"
             "message Order { repeated Line lines = 1; srf.Money total = 2; }\n")
    reference = {"name": "srf/money.proto", "subject": "srf-money", "version": 1}
    order_id = register(http, "srf-order", {"schema": order, "schemaType": "PROTOBUF",
                                            "references": [reference]})["id"]
    assert http.get("/subjects/srf-money/versions/1/referencedby").json() == [order_id]
    assert http.get("/subjects/srf-order/versions/1/referencedby").json() == []
    canonical = 'syntax = "proto3";\npackage srf;\n\nmessage Money {\n  int64 cents = 1;\n}\n'
    assert http.get(f"/schemas/ids/{money}").json()["schema"] == canonical

    serialized = http.get(f"/schemas/ids/{order_id}", params={"format": "serialized"}).json()
    assert serialized["references"] == [reference]
    file = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(serialized["schema"]))
    assert [m.name for m in file.message_type] == ["Line", "Order"]
    assert list(file.dependency) == ["srf/money.proto"]
    by_version = http.get("/subjects/srf-order/versions/latest",
                          params={"format": "SERIALIZED"}).json()
    assert by_version["schema"] == serialized["schema"]


@pytest.mark.parametrize("content_type", [
    "application/vnd.schemaregistry.v1+json",
    "application/vnd.schemaregistry+json",
    "application/json",
])
def test_each_content_type_is_accepted(http: httpx.Client, content_type: str) -> None:
    subject = "srf-ct-" + content_type.split("/")[1].replace("+", "-")
    answer = http.post(f"/subjects/{subject}/versions",
                       content=json.dumps({"schema": avro("T", "x")}),
                       headers={"Content-Type": content_type, "Accept": content_type})
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/vnd.schemaregistry.v1+json")


def test_import_mode_ids(http: httpx.Client) -> None:
    taken = register(http, "srf-taken", {"schema": avro("Taken", "x")})["id"]
    assert http.put("/mode", json={"mode": "IMPORT"}).json()["error_code"] == 42205
    assert http.put("/mode/srf-imp", json={"mode": "import"}).json() == {"mode": "IMPORT"}
    try:
        # An id that names another schema is refused; the same schema under its id is fine.
        clash = {"schema": avro("Other", "x"), "id": taken, "version": 1}
        assert http.post("/subjects/srf-imp/versions", json=clash).json()[
            "error_code"] == 42205
        same = {"schema": avro("Taken", "x"), "id": taken, "version": 3}
        assert register(http, "srf-imp", same) == {"id": taken, "version": 3}
        again = {"schema": avro("Next", "x"), "id": 90_000, "version": 3}
        assert http.post("/subjects/srf-imp/versions", json=again).json()[
            "error_code"] == 42205  # version 3 is taken
        # IMPORT skips compatibility checks.
        breaking = {"schema": json.dumps("string"), "id": 90_001, "version": 4}
        assert register(http, "srf-imp", breaking) == {"id": 90_001, "version": 4}
    finally:
        assert http.delete("/mode/srf-imp").json() == {"mode": "IMPORT"}
    assert http.post("/subjects/srf-imp/versions",
                     json={"schema": avro("Z", "z"), "id": 90_002}).json()["error_code"] == 42205


def verdict(http: httpx.Client, subject: str, body: dict[str, object]) -> dict[str, object]:
    answer = http.post(f"/compatibility/subjects/{subject}/versions/latest",
                       params={"verbose": "true"}, json=body)
    assert answer.status_code == 200, answer.text
    found: dict[str, object] = answer.json()
    return found


def test_verbose_reasons_for_json_schema_and_protobuf(http: httpx.Client) -> None:
    closed = {"type": "object", "properties": {"a": {"type": "string"}},
              "additionalProperties": False}
    register(http, "srf-json", {"schema": json.dumps(closed), "schemaType": "JSON"})
    retyped = {**closed, "properties": {"a": {"type": "integer"}}}
    found = verdict(http, "srf-json", {"schema": json.dumps(retyped), "schemaType": "JSON"})
    assert found["is_compatible"] is False
    messages = found["messages"]
    assert isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages)

    v1 = 'syntax = "proto3";\nmessage P { string id = 1; }\n'
    register(http, "srf-proto", {"schema": v1, "schemaType": "PROTOBUF"})
    v2 = 'syntax = "proto3";\nmessage P { int32 id = 1; }\n'
    found = verdict(http, "srf-proto", {"schema": v2, "schemaType": "PROTOBUF"})
    assert found["is_compatible"] is False
    messages = found["messages"]
    assert isinstance(messages, list) and any("id" in str(m) for m in messages)
    quiet = http.post("/compatibility/subjects/srf-proto/versions", json={
        "schema": v1, "schemaType": "PROTOBUF"})
    assert quiet.json() == {"is_compatible": True}
