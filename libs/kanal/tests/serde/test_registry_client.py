"""The registry client against a real registry: Confluent's API answers, the client's cache,
and the registry's refusals as SchemaRegistryError with Confluent's codes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kanal.errors import SchemaRegistryError
from kanal.serde import Schema, SchemaId, SchemaRegistryClient
from kanal.serde.registry_api import ApiCall

from .conftest import Namer

pytestmark = pytest.mark.integration

V1 = json.dumps({"type": "record", "name": "P", "fields": [{"name": "a", "type": "int"}]})
V2 = json.dumps(
    {
        "type": "record",
        "name": "P",
        "fields": [{"name": "a", "type": "int"}, {"name": "b", "type": "string", "default": ""}],
    }
)
# A new field without a default breaks BACKWARD: its readers cannot fill it in for v1 data.
BREAKING = json.dumps(
    {
        "type": "record",
        "name": "P",
        "fields": [{"name": "a", "type": "int"}, {"name": "c", "type": "string"}],
    }
)


def count_requests(client: SchemaRegistryClient) -> list[str]:
    """Record the requests the client sends from now on (it still sends them)."""
    sent: list[str] = []
    original = client.call

    def call(api_call: ApiCall[Any]) -> Any:
        sent.append(f"{api_call.method} {api_call.path}")
        return original(api_call)

    client.call = call  # type: ignore[method-assign,assignment]
    return sent


def test_register_is_idempotent_and_cached(registry: SchemaRegistryClient, unique: Namer) -> None:
    subject = unique("s")
    sent = count_requests(registry)
    schema_id = registry.register_schema(subject, Schema(V1))
    assert registry.register_schema(subject, Schema(V1)) == schema_id
    assert registry.get_schema(schema_id) == Schema(V1)
    assert sent == [f"POST /subjects/{subject}/versions"]
    # A fresh client (no cache) gets the same id from the registry.
    with SchemaRegistryClient(registry.urls) as other:
        assert other.register_schema(subject, Schema(V1)) == schema_id
        assert json.loads(other.get_schema(schema_id).schema_str) == json.loads(V1)


def test_versions_lookup_and_latest(registry: SchemaRegistryClient, unique: Namer) -> None:
    subject = unique("s")
    first = registry.register_schema(subject, Schema(V1))
    latest = registry.get_latest_version(subject)
    assert (latest.version, latest.schema_id) == (1, first)
    second = registry.register_schema(subject, Schema(V2))
    assert second != first
    # Registering through this client forgot the cached "latest".
    assert registry.get_latest_version(subject).schema_id == second
    assert registry.get_versions(subject) == [1, 2]
    assert registry.lookup_schema(subject, Schema(V1)).version == 1
    assert registry.get_version(subject, 2).schema_id == second
    assert subject in registry.get_subjects(prefix=subject[:8])


def test_compatibility_and_config(registry: SchemaRegistryClient, unique: Namer) -> None:
    subject = unique("s")
    registry.register_schema(subject, Schema(V1))
    assert registry.test_compatibility(subject, Schema(V2)).is_compatible
    verdict = registry.test_compatibility(subject, Schema(BREAKING), verbose=True)
    assert not verdict.is_compatible
    assert verdict.messages
    with pytest.raises(SchemaRegistryError) as refused:
        registry.register_schema(subject, Schema(BREAKING))
    assert refused.value.error_code == 409
    assert registry.set_compatibility("NONE", subject) == "NONE"
    assert registry.get_compatibility(subject) == "NONE"
    registry.register_schema(subject, Schema(BREAKING))
    registry.delete_compatibility(subject)
    assert registry.get_compatibility(subject, default_to_global=True) == "BACKWARD"
    assert registry.get_mode() == "READWRITE"


def test_soft_then_hard_delete(registry: SchemaRegistryClient, unique: Namer) -> None:
    subject = unique("s")
    registry.register_schema(subject, Schema(V1))
    with pytest.raises(SchemaRegistryError) as early:
        registry.delete_subject(subject, permanent=True)
    assert early.value.error_code == 40405
    assert registry.delete_subject(subject) == [1]
    assert subject not in registry.get_subjects()
    assert subject in registry.get_subjects(deleted=True)
    assert registry.delete_subject(subject, permanent=True) == [1]
    with pytest.raises(SchemaRegistryError) as gone:
        registry.get_latest_version(subject)
    assert gone.value.error_code == 40401
    assert gone.value.http_status == 404


def test_refusals_carry_confluent_codes(registry: SchemaRegistryClient, unique: Namer) -> None:
    with pytest.raises(SchemaRegistryError) as invalid:
        registry.register_schema(unique("s"), Schema('{"type": "record", "name": "X"}'))
    assert invalid.value.error_code == 42201
    with pytest.raises(SchemaRegistryError) as unknown:
        registry.get_schema(
            SchemaId(registry.register_schema(unique("s"), Schema('"int"')) + 10_000)
        )
    assert unknown.value.error_code == 40403
    assert "40403" in str(unknown.value)


def test_an_unreachable_registry_is_one_clear_error() -> None:
    with (
        SchemaRegistryClient("http://127.0.0.1:9", timeout_s=2) as nowhere,
        pytest.raises(SchemaRegistryError, match="cannot reach the schema registry"),
    ):
        nowhere.get_subjects()


def test_the_next_url_answers_when_the_first_is_down(
    registry: SchemaRegistryClient, unique: Namer
) -> None:
    with SchemaRegistryClient(["http://127.0.0.1:9", *registry.urls]) as client:
        assert client.register_schema(unique("s"), Schema('"long"')) > 0


def test_config_object_and_the_normalize_setting(
    registry: SchemaRegistryClient, unique: Namer
) -> None:
    subject = unique("s")
    registry.register_schema(subject, Schema(V1))
    reordered = Schema('{"fields": [{"type": "int", "name": "a"}], "name": "P", "type": "record"}')
    with pytest.raises(SchemaRegistryError):
        registry.lookup_schema(subject, reordered)
    assert registry.update_config({"normalize": True}, subject) == {"normalize": True}
    assert registry.get_config(subject) == {"normalize": True}
    assert registry.get_config(subject, default_to_global=True) == {
        "normalize": True,
        "compatibilityLevel": "BACKWARD",
    }
    assert registry.lookup_schema(subject, reordered).version == 1
    with pytest.raises(SchemaRegistryError) as bad:
        registry.update_config({"normalize": "yes"}, subject)
    assert bad.value.error_code == 422
