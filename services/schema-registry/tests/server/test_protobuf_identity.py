"""Protobuf schemas are identified by their canonical text, and records written before the
registry stored canonical text (the .proto text as a client sent it) still load, read back
as written, and keep their id and version when the same file is registered or looked up
again, as text in any layout or as confluent-kafka's base64 descriptor."""

from __future__ import annotations

from kanal_registry.schema_types import SchemaType
from kanal_registry.service.requests import SchemaRequest
from kanal_registry.store.records import Record, SchemaId, SchemaValue, schema_key

from .registry_harness import LocalRegistry

OLD_TEXT = """syntax = "proto3";
package legacy;
// as a client sent it, comments and all
message Ping { string id = 1 [deprecated = true]; int64 at = 2; }
"""
SAME_FILE = """syntax = "proto3"; package legacy;
message Ping {
  string id = 1 [ deprecated = true ];
  int64 at = 2;
}"""
PROTOBUF = SchemaType.PROTOBUF


def with_legacy_record() -> LocalRegistry:
    registry = LocalRegistry()
    old = SchemaValue("pings-value", 1, SchemaId(7), PROTOBUF, OLD_TEXT, ())
    registry.run_records([Record(schema_key("pings-value", 1), old.encode())])
    return registry


def test_a_legacy_record_loads_and_reads_as_written() -> None:
    registry = with_legacy_record()
    content = registry.reads.schema(7)
    assert content.schema == OLD_TEXT
    assert registry.reads.formatted(content, "serialized") != OLD_TEXT


def test_the_same_file_registered_again_keeps_the_legacy_id_and_version() -> None:
    registry = with_legacy_record()
    again = registry.register("pings-value", SAME_FILE, schema_type=PROTOBUF)
    assert (again.schema_id, again.version, again.new) == (7, 1, False)
    elsewhere = registry.register("other-value", SAME_FILE, schema_type=PROTOBUF)
    assert (elsewhere.schema_id, elsewhere.version, elsewhere.new) == (7, 1, True)
    assert registry.reads.schema(7).schema == OLD_TEXT
    assert registry.replayed().content(7) == registry.state.content(7)


def test_a_legacy_record_is_found_by_lookup_and_by_its_descriptor() -> None:
    registry = with_legacy_record()
    found = registry.reads.lookup("pings-value", SchemaRequest(SAME_FILE, PROTOBUF))
    assert (found.schema_id, found.version) == (7, 1)
    encoded = registry.reads.formatted(registry.reads.schema(7), "serialized")
    by_descriptor = registry.register("pings-value", encoded, schema_type=PROTOBUF)
    assert (by_descriptor.schema_id, by_descriptor.version) == (7, 1)


def test_new_registrations_store_the_canonical_text_once() -> None:
    registry = LocalRegistry()
    first = registry.register("a-value", OLD_TEXT, schema_type=PROTOBUF)
    second = registry.register("b-value", SAME_FILE, schema_type=PROTOBUF)
    assert first.schema_id == second.schema_id
    stored = registry.reads.schema(first.schema_id).schema
    assert stored.startswith('syntax = "proto3";\npackage legacy;\n\nmessage Ping {\n')
    assert "comments" not in stored
