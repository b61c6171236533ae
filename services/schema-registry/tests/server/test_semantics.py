"""Registry semantics, in process: ids, versions, deletes, references, config and modes.

Every write goes through the planner and its records through the state, as on the primary;
`replayed()` rebuilds the state from those records alone, as a restarting instance does.
"""

from __future__ import annotations

import json

import pytest
from kanal_registry.errors import (
    IncompatibleSchema,
    InvalidCompatibilityLevel,
    InvalidMode,
    InvalidSchema,
    OperationNotPermitted,
    ReferenceExists,
    SchemaNotFound,
    SchemaVersionNotSoftDeleted,
    SchemaVersionSoftDeleted,
    SubjectCompatibilityNotConfigured,
    SubjectNotFound,
    SubjectNotSoftDeleted,
    SubjectSoftDeleted,
    VersionNotFound,
)
from kanal_registry.schema_types import SchemaReference, SchemaType
from kanal_registry.service.reads import LATEST
from kanal_registry.service.requests import SchemaRequest
from kanal_registry.state.configs import SubjectConfig
from kanal_registry.state.modes import Mode

from ..helpers import field, record
from .registry_harness import LocalRegistry

V1 = record(field("a", "int"))
V2 = record(field("a", "int"), field("b", "string", default="x"))
BREAKING = record(field("c", "int"))


@pytest.fixture
def registry() -> LocalRegistry:
    return LocalRegistry()


def test_one_schema_has_one_id_in_every_subject_and_reregistering_writes_nothing(
        registry: LocalRegistry) -> None:
    first = registry.register("a-value", V1)
    other = registry.register("b-value", V1)
    assert (first.schema_id, first.version, other.schema_id, other.version) == (1, 1, 1, 1)
    written = len(registry.log)
    again = registry.register("a-value", '{"type": "record",  "name": "R", "fields": '
                                         '[{"name": "a", "type": "int"}]}')
    assert again.schema_id == 1 and not again.new
    assert len(registry.log) == written
    assert registry.register("a-value", V2).schema_id == 2
    assert [u.subject for u in registry.reads.users(1)] == ["a-value", "b-value"]


def test_an_incompatible_schema_is_refused_with_reasons_unless_the_level_is_none(
        registry: LocalRegistry) -> None:
    registry.register("s", V1)
    with pytest.raises(IncompatibleSchema) as refused:
        registry.register("s", BREAKING)
    assert any("oldSchema" in r for r in refused.value.reasons)
    assert registry.reads.versions("s")[-1].version == 1
    registry.run(registry.planner.set_config("s", level("none")))
    assert registry.register("s", BREAKING).version == 2
    with pytest.raises(InvalidCompatibilityLevel):
        registry.planner.set_config("s", level("SIDEWAYS"))


def test_compatibility_is_checked_against_live_versions_only(registry: LocalRegistry) -> None:
    registry.register("s", V1)
    registry.run(registry.planner.set_config("s", level("NONE")))
    registry.register("s", BREAKING)
    registry.run(registry.planner.delete_config("s"))
    registry.run(registry.planner.delete_version("s", 2, permanent=False))
    request = SchemaRequest(registry.reads.versions("s")[0].schema)
    assert registry.reads.incompatibilities("s", request) == []


def test_soft_deleted_versions_keep_their_numbers(registry: LocalRegistry) -> None:
    registry.register("s", V1)
    registry.register("s", V2)
    assert registry.run(registry.planner.delete_version("s", LATEST, permanent=False)) == 2
    with pytest.raises(VersionNotFound):
        registry.reads.version("s", 2)
    assert registry.reads.version("s", 2, deleted=True).deleted
    assert registry.reads.version("s", LATEST).version == 1
    with pytest.raises(SchemaVersionSoftDeleted):
        registry.planner.delete_version("s", 2, permanent=False)
    with pytest.raises(SchemaVersionNotSoftDeleted):
        registry.planner.delete_version("s", 1, permanent=True)
    third = registry.register("s", record(field("a", "int"), field("z", "long", default=0)))
    assert third.version == 3


def test_subject_delete_is_soft_first_then_permanent(registry: LocalRegistry) -> None:
    registry.register("s", V1)
    registry.register("s", V2)
    with pytest.raises(SubjectNotSoftDeleted):
        registry.planner.delete_subject("s", permanent=True)
    assert registry.run(registry.planner.delete_subject("s", permanent=False)) == [1, 2]
    assert registry.reads.subjects() == []
    assert registry.reads.subjects(deleted=True) == ["s"]
    with pytest.raises(SubjectNotFound):
        registry.reads.versions("s")
    with pytest.raises(SubjectSoftDeleted):
        registry.planner.delete_subject("s", permanent=False)
    assert registry.reads.schema(2).schema_type is SchemaType.AVRO  # soft: the id still reads
    assert registry.run(registry.planner.delete_subject("s", permanent=True)) == [1, 2]
    assert registry.reads.subjects(deleted=True) == []
    with pytest.raises(SchemaNotFound):
        registry.reads.schema(2)
    # A hard-deleted id is never handed out again.
    assert registry.register("s", BREAKING).schema_id == 3
    with pytest.raises(SubjectNotFound):
        registry.planner.delete_subject("nobody", permanent=False)


def test_references_resolve_across_subjects_and_protect_what_they_name(
        registry: LocalRegistry) -> None:
    address = record(field("street", "string"), name="com.acme.Address")
    registry.register("address", address)
    user = record(field("home", "com.acme.Address"), name="com.acme.User")
    reference = SchemaReference("com.acme.Address", "address", 1)
    registered = registry.register("user", user, references=(reference,))
    assert registry.reads.referenced_by("address", 1) == [registered.schema_id]
    assert registry.reads.schema(registered.schema_id).references == (reference,)
    with pytest.raises(ReferenceExists):
        registry.planner.delete_version("address", 1, permanent=False)
    with pytest.raises(ReferenceExists):
        registry.planner.delete_subject("address", permanent=False)
    with pytest.raises(InvalidSchema):
        registry.register("user2", user, references=(SchemaReference("x", "address", 9),))
    with pytest.raises(InvalidSchema):
        registry.register("user3", user)


def test_import_mode_keeps_given_ids_and_later_ids_go_above_them(
        registry: LocalRegistry) -> None:
    with pytest.raises(OperationNotPermitted):
        registry.register("s", V1, schema_id=40)
    registry.run(registry.planner.set_mode(None, "import", force=False))
    assert registry.register("s", V1, schema_id=40, version=5).schema_id == 40
    assert registry.reads.version("s", 5).schema_id == 40
    with pytest.raises(OperationNotPermitted):
        registry.register("t", V2, schema_id=40)
    # IMPORT skips compatibility: an importer copies history as it was.
    assert registry.register("s", BREAKING, schema_id=41).version == 6
    registry.run(registry.planner.set_mode(None, "READWRITE", force=False))
    assert registry.register("u", V2).schema_id == 42
    with pytest.raises(OperationNotPermitted):
        registry.planner.set_mode(None, "IMPORT", force=False)
    with pytest.raises(InvalidMode):
        registry.planner.set_mode(None, "SOMETIMES", force=False)


def test_read_only_mode_refuses_writes_per_subject(registry: LocalRegistry) -> None:
    registry.register("s", V1)
    registry.run(registry.planner.set_mode("s", "READONLY", force=False))
    with pytest.raises(OperationNotPermitted):
        registry.register("s", V2)
    with pytest.raises(OperationNotPermitted):
        registry.planner.delete_subject("s", permanent=False)
    assert registry.register("t", V2).version == 1
    assert registry.reads.mode("s") is Mode.READONLY
    assert registry.run(registry.planner.delete_mode("s")) is Mode.READONLY
    assert registry.reads.mode("s", default_to_global=True) is Mode.READWRITE


def test_config_falls_back_to_global_only_when_asked(registry: LocalRegistry) -> None:
    with pytest.raises(SubjectCompatibilityNotConfigured):
        registry.reads.config("s")
    registry.run(registry.planner.set_config(None, level("FULL")))
    assert registry.reads.config("s", default_to_global=True).compatibility_level == "FULL"
    assert registry.reads.level("s").value == "FULL"
    assert registry.run(registry.planner.delete_config(None)).compatibility_level == "FULL"
    assert registry.reads.config(None).compatibility_level == "BACKWARD"


def test_lookup_finds_the_version_and_normalize_matches_equivalent_texts(
        registry: LocalRegistry) -> None:
    registry.register("s", V1)
    registry.register("s", V2)
    found = registry.reads.lookup("s", SchemaRequest(_json(V1)))
    assert (found.version, found.schema_id) == (1, 1)
    reordered = '{"name": "R", "type": "record", "fields": [{"type": "int", "name": "a"}]}'
    with pytest.raises(SchemaNotFound):
        registry.reads.lookup("s", SchemaRequest(reordered))
    assert registry.reads.lookup("s", SchemaRequest(reordered), normalize=True).version == 1
    with pytest.raises(SubjectNotFound):
        registry.reads.lookup("nobody", SchemaRequest(_json(V1)))


def test_a_replayed_log_gives_the_same_answers(registry: LocalRegistry) -> None:
    registry.register("a", V1)
    registry.register("a", V2)
    registry.register("b", V1)
    registry.run(registry.planner.delete_version("a", 1, permanent=False))
    registry.run(registry.planner.set_config("b", level("FORWARD")))
    registry.run(registry.planner.delete_subject("b", permanent=False))
    registry.run(registry.planner.delete_subject("b", permanent=True))
    replayed = registry.replayed()
    for include_deleted in (False, True):
        assert replayed.subjects(include_deleted=include_deleted) == \
            registry.state.subjects(include_deleted=include_deleted)
        assert replayed.versions("a", include_deleted=include_deleted) == \
            registry.state.versions("a", include_deleted=include_deleted)
    assert replayed.max_id == registry.state.max_id == 2
    assert replayed.config("b") == registry.state.config("b") == level("FORWARD")


def _json(document: object) -> str:
    return json.dumps(document)


def level(name: str) -> SubjectConfig:
    return SubjectConfig.from_json({"compatibility": name})
