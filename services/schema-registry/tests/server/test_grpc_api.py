"""The gRPC edge (kanal.v1.SchemaRegistry) of a real registry process: the same operations and
error codes as REST, on the same state."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, cast

import grpc
import httpx
import pytest
from kanal.grpc_status import ERROR_CODE_KEY
from kanal.v1 import registry_pb2, registry_pb2_grpc

from .registry_process import RegistryProcess

if TYPE_CHECKING:
    from kanal.v1.registry_pb2_grpc import SchemaRegistryAsyncStub

pytestmark = pytest.mark.integration

V1 = json.dumps({"type": "record", "name": "G", "fields": [{"name": "a", "type": "int"}]})
V2 = json.dumps({"type": "record", "name": "G", "fields": [
    {"name": "a", "type": "int"}, {"name": "b", "type": "int", "default": 1}]})
BREAKING = json.dumps({"type": "record", "name": "G", "fields": [{"name": "z", "type": "int"}]})


@pytest.fixture
async def stub(registry: RegistryProcess) -> AsyncIterator[SchemaRegistryAsyncStub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{registry.grpc_port}") as channel:
        yield registry_pb2_grpc.SchemaRegistryStub(channel)


def error_code(error: grpc.aio.AioRpcError) -> int:
    pairs = cast("Sequence[tuple[str, str]]", error.trailing_metadata() or ())
    for key, value in pairs:
        if key == ERROR_CODE_KEY:
            return int(value)
    raise AssertionError(f"no {ERROR_CODE_KEY} trailer")


async def test_register_read_and_delete_over_grpc(
        stub: SchemaRegistryAsyncStub, registry: RegistryProcess) -> None:
    first = await stub.Register(registry_pb2.RegisterSchemaRequest(
        subject="grpc-value", schema=registry_pb2.Schema(schema=V1)))
    second = await stub.Register(registry_pb2.RegisterSchemaRequest(
        subject="grpc-value", schema=registry_pb2.Schema(schema=V2, schema_type="AVRO")))
    assert (first.version, second.version) == (1, 2)
    by_id = await stub.GetSchemaById(registry_pb2.GetSchemaByIdRequest(id=first.id))
    assert json.loads(by_id.schema.schema) == json.loads(V1)
    latest = await stub.GetVersion(registry_pb2.GetVersionRequest(subject="grpc-value",
                                                                  version=-1))
    assert (latest.version, latest.id) == (2, second.id)
    found = await stub.LookupSchema(registry_pb2.LookupSchemaRequest(
        subject="grpc-value", schema=registry_pb2.Schema(schema=V1)))
    assert found.version == 1
    subjects = await stub.ListSubjects(registry_pb2.ListSubjectsRequest(subject_prefix="grpc-"))
    assert list(subjects.subjects) == ["grpc-value"]
    versions = await stub.ListVersions(registry_pb2.ListVersionsRequest(subject="grpc-value"))
    assert list(versions.versions) == [1, 2]

    verdict = await stub.CheckCompatibility(registry_pb2.CheckCompatibilityRequest(
        subject="grpc-value", schema=registry_pb2.Schema(schema=BREAKING)))
    assert not verdict.is_compatible and verdict.messages

    # REST sees what gRPC wrote: one state behind both edges.
    async with httpx.AsyncClient() as http:
        rest = (await http.get(f"{registry.url}/subjects/grpc-value/versions")).json()
    assert rest == [1, 2]

    deleted = await stub.DeleteVersion(registry_pb2.DeleteVersionRequest(
        subject="grpc-value", version=2))
    assert deleted.version == 2
    gone = await stub.DeleteSubject(registry_pb2.DeleteSubjectRequest(subject="grpc-value"))
    assert list(gone.versions) == [1]


async def test_config_and_mode_over_grpc(stub: SchemaRegistryAsyncStub) -> None:
    await stub.SetConfig(registry_pb2.SetConfigRequest(subject="grpc-cfg",
                                                       compatibility_level="forward"))
    got = await stub.GetConfig(registry_pb2.GetConfigRequest(subject="grpc-cfg"))
    assert got.compatibility_level == "FORWARD"
    deleted = await stub.DeleteConfig(registry_pb2.DeleteConfigRequest(subject="grpc-cfg"))
    assert deleted.compatibility_level == "FORWARD"
    fallback = await stub.GetConfig(registry_pb2.GetConfigRequest(subject="grpc-cfg",
                                                                  default_to_global=True))
    assert fallback.compatibility_level == "BACKWARD"
    await stub.SetMode(registry_pb2.SetModeRequest(subject="grpc-cfg", mode="READONLY"))
    assert (await stub.GetMode(registry_pb2.GetModeRequest(subject="grpc-cfg"))).mode == \
        "READONLY"
    assert (await stub.DeleteMode(registry_pb2.DeleteModeRequest(subject="grpc-cfg"))).mode == \
        "READONLY"


async def test_a_grpc_level_change_keeps_the_other_config_fields(
        stub: SchemaRegistryAsyncStub, registry: RegistryProcess) -> None:
    async with httpx.AsyncClient(base_url=registry.url) as rest:
        await rest.put("/config/grpc-norm", json={"normalize": True})
        got = await stub.GetConfig(registry_pb2.GetConfigRequest(subject="grpc-norm"))
        assert got.compatibility_level == ""  # set fields other than the level only
        await stub.SetConfig(registry_pb2.SetConfigRequest(subject="grpc-norm",
                                                           compatibility_level="FULL"))
        assert (await rest.get("/config/grpc-norm")).json() == {
            "normalize": True, "compatibilityLevel": "FULL"}
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await stub.SetConfig(registry_pb2.SetConfigRequest(subject="grpc-norm"))
    assert error_code(bad.value) == 42203


async def test_every_grpc_config_field_round_trips_with_rest(
        stub: SchemaRegistryAsyncStub, registry: RegistryProcess) -> None:
    set_all = registry_pb2.SetConfigRequest(subject="grpc-all", normalize=True, alias="other",
                                            compatibility_group="app.version")
    answer = await stub.SetConfig(set_all)
    assert (answer.compatibility_level, answer.normalize, answer.alias) == ("", True, "other")
    got = await stub.GetConfig(registry_pb2.GetConfigRequest(subject="grpc-all"))
    assert got.HasField("normalize") and got.normalize
    assert (got.alias, got.compatibility_group) == ("other", "app.version")
    await stub.SetConfig(registry_pb2.SetConfigRequest(subject="grpc-all", normalize=False))
    async with httpx.AsyncClient(base_url=registry.url) as rest:
        assert (await rest.get("/config/grpc-all")).json() == {
            "alias": "other", "normalize": False, "compatibilityGroup": "app.version"}
        await rest.put("/config/grpc-bare", json={"compatibility": "NONE"})
    bare = await stub.GetConfig(registry_pb2.GetConfigRequest(subject="grpc-bare"))
    assert bare.compatibility_level == "NONE"
    assert not (bare.HasField("normalize") or bare.HasField("alias")
                or bare.HasField("compatibility_group"))


async def test_errors_carry_confluents_code_in_the_trailer(
        stub: SchemaRegistryAsyncStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await stub.GetVersion(registry_pb2.GetVersionRequest(subject="nobody", version=1))
    assert missing.value.code() is grpc.StatusCode.NOT_FOUND
    assert error_code(missing.value) == 40401
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await stub.Register(registry_pb2.RegisterSchemaRequest(
            subject="grpc-bad", schema=registry_pb2.Schema(schema="{not json")))
    assert invalid.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error_code(invalid.value) == 42201
    await stub.Register(registry_pb2.RegisterSchemaRequest(
        subject="grpc-incompatible", schema=registry_pb2.Schema(schema=V1)))
    with pytest.raises(grpc.aio.AioRpcError) as incompatible:
        await stub.Register(registry_pb2.RegisterSchemaRequest(
            subject="grpc-incompatible", schema=registry_pb2.Schema(schema=BREAKING)))
    assert incompatible.value.code() is grpc.StatusCode.ABORTED
    assert error_code(incompatible.value) == 409
    with pytest.raises(grpc.aio.AioRpcError) as bad_version:
        await stub.GetVersion(registry_pb2.GetVersionRequest(subject="grpc-incompatible",
                                                             version=0))
    assert error_code(bad_version.value) == 42202


def test_metrics_count_requests_registrations_and_failures(
        registry: RegistryProcess) -> None:
    httpx.get(f"{registry.url}/subjects")
    text = registry.metrics()
    assert 'kanal_registry_requests_total{edge="rest",endpoint="GET /subjects",status="200"}' \
        in text
    assert "kanal_registry_is_primary 1.0" in text
    assert "kanal_registry_schemas_registered_total" in text
    assert "kanal_registry_compatibility_failures_total" in text
