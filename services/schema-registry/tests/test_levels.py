"""Levels: which direction and which versions; the transitive cases need three versions."""

import pytest
from kanal_registry.compatibility import DEFAULT_LEVEL, CompatibilityLevel, check
from kanal_registry.errors import InvalidCompatibilityLevel

from .helpers import avro, field, json_schema, proto, record

Level = CompatibilityLevel

# v1 -> v2 adds a field with a default; v2 -> v3 drops the default. v3 reads v2 data (v2
# always wrote the field) but not v1 data (which lacks it): only a transitive check sees that.
V1 = avro(record(field("a", "int")))
V2 = avro(record(field("a", "int"), field("b", "string", default="")))
V3 = avro(record(field("a", "int"), field("b", "string")))


def test_backward_is_the_default() -> None:
    assert DEFAULT_LEVEL is Level.BACKWARD


@pytest.mark.parametrize(
    ("level", "compatible"),
    [
        (Level.BACKWARD, True),
        (Level.BACKWARD_TRANSITIVE, False),
        (Level.FULL, True),
        (Level.FULL_TRANSITIVE, False),
        (Level.FORWARD, True),
        (Level.FORWARD_TRANSITIVE, True),
        (Level.NONE, True),
    ],
)
def test_only_the_transitive_check_compares_with_the_first_version(
    level: Level, compatible: bool
) -> None:
    assert (check(V3, [V1, V2], level) == []) is compatible


def test_forward_transitive_fails_where_only_an_older_reader_breaks() -> None:
    # v1 reads int, v2 reads long (reads v1's ints), v3 writes long: v2 can read it, v1 cannot.
    v1 = avro(record(field("a", "int")))
    v2 = avro(record(field("a", "long")))
    v3 = avro(record(field("a", "long")))
    assert check(v3, [v1, v2], Level.FORWARD) == []
    reasons = check(v3, [v1, v2], Level.FORWARD_TRANSITIVE)
    assert reasons and "TYPE_MISMATCH" in reasons[0]


def test_transitive_json_schema_three_versions() -> None:
    v1 = json_schema({"type": "string", "maxLength": 10})
    v2 = json_schema({"type": "string", "maxLength": 20})
    v3 = json_schema({"type": "string", "maxLength": 15})
    # v3 as reader: fine for v1 data (<= 10), not for v2 data (<= 20): even the plain check fails.
    assert check(v3, [v1, v2], Level.BACKWARD) != []
    # As writer, v3's strings (<= 15) fit v2 but not v1.
    assert check(v3, [v1, v2], Level.FORWARD) == []
    assert check(v3, [v1, v2], Level.FORWARD_TRANSITIVE) != []


def test_transitive_protobuf_three_versions() -> None:
    v1 = proto('syntax = "proto3"; message M { int32 a = 1; }')
    v2 = proto('syntax = "proto3"; message M { string note = 2; }')
    v3 = proto('syntax = "proto3"; message M { string a = 1; string note = 2; }')
    assert check(v3, [v1, v2], Level.BACKWARD) == []
    assert "FIELD_SCALAR_KIND_CHANGED" in " ".join(check(v3, [v1, v2], Level.BACKWARD_TRANSITIVE))


def test_a_change_of_schema_type_is_incompatible() -> None:
    reasons = check(json_schema({"type": "integer"}), [avro("int")], Level.BACKWARD)
    assert "SCHEMA_TYPE_CHANGED" in reasons[0]


def test_no_earlier_version_is_always_compatible() -> None:
    assert check(V3, [], Level.FULL_TRANSITIVE) == []


@pytest.mark.parametrize("text", ["backward", "Full_Transitive", "NONE"])
def test_levels_parse_case_insensitively(text: str) -> None:
    assert Level.parse(text) is Level(text.upper())


def test_an_unknown_level_is_42203() -> None:
    with pytest.raises(InvalidCompatibilityLevel) as caught:
        Level.parse("SIDEWAYS")
    assert caught.value.error_code == 42203 and "BACKWARD" in caught.value.message
