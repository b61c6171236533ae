"""Protobuf compatibility tables after Confluent's rules (they are the same both ways except
for required fields, so FORWARD is checked against the mirrored expectation)."""

import pytest
from kanal_registry.compatibility import CompatibilityLevel, check

from .helpers import proto

BACKWARD, FORWARD = CompatibilityLevel.BACKWARD, CompatibilityLevel.FORWARD


def msg(body: str, *, package: str = "p", syntax: str = "proto3") -> str:
    other = "message Other { optional int32 z = 1; }"
    return f'syntax = "{syntax}"; package {package}; message M {{ {body} }} {other}'


CASES = {
    "field added": (msg("int32 a = 1;"), msg("int32 a = 1; string b = 2;"), True, ""),
    "field removed": (msg("int32 a = 1; string b = 2;"), msg("int32 a = 1;"), True, ""),
    "field renamed": (msg("int32 a = 1;"), msg("int32 renamed = 1;"), True, ""),
    "int32 to int64": (msg("int32 a = 1;"), msg("int64 a = 1;"), True, ""),
    "uint64 to bool": (msg("uint64 a = 1;"), msg("bool a = 1;"), True, ""),
    "sint32 to sint64": (msg("sint32 a = 1;"), msg("sint64 a = 1;"), True, ""),
    "string to bytes": (msg("string a = 1;"), msg("bytes a = 1;"), True, ""),
    "fixed32 to sfixed32": (msg("fixed32 a = 1;"), msg("sfixed32 a = 1;"), True, ""),
    "fixed64 to sfixed64": (msg("fixed64 a = 1;"), msg("sfixed64 a = 1;"), True, ""),
    "int32 to sint32": (
        msg("int32 a = 1;"),
        msg("sint32 a = 1;"),
        False,
        "FIELD_SCALAR_KIND_CHANGED",
    ),
    "int32 to string": (
        msg("int32 a = 1;"),
        msg("string a = 1;"),
        False,
        "FIELD_SCALAR_KIND_CHANGED",
    ),
    "fixed32 to fixed64": (
        msg("fixed32 a = 1;"),
        msg("fixed64 a = 1;"),
        False,
        "FIELD_SCALAR_KIND_CHANGED",
    ),
    "number reused for a message": (
        msg("int32 a = 1;"),
        msg("Other a = 1;"),
        False,
        "FIELD_KIND_CHANGED",
    ),
    "message type changed": (
        msg("Other a = 1;"),
        msg("M a = 1;"),
        False,
        "FIELD_NAMED_TYPE_CHANGED",
    ),
    "numeric made repeated": (msg("int32 a = 1;"), msg("repeated int32 a = 1;"), True, ""),
    "string made repeated": (
        msg("string a = 1;"),
        msg("repeated string a = 1;"),
        False,
        "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
    ),
    "package changed": (
        msg("int32 a = 1;"),
        msg("int32 a = 1;", package="q"),
        False,
        "PACKAGE_CHANGED",
    ),
    "message removed": (
        'syntax = "proto3"; message M { int32 a = 1; } message N { int32 b = 1; }',
        'syntax = "proto3"; message M { int32 a = 1; }',
        False,
        "MESSAGE_REMOVED",
    ),
    "message renamed": (
        'syntax = "proto3"; message M { int32 a = 1; }',
        'syntax = "proto3"; message N { int32 a = 1; }',
        False,
        "MESSAGE_REMOVED",
    ),
    "oneof added around one field": (
        msg("int32 a = 1;"),
        msg("oneof o { int32 a = 1; }"),
        True,
        "",
    ),
    "two fields moved into a new oneof": (
        msg("int32 a = 1; int32 b = 2;"),
        msg("oneof o { int32 a = 1; int32 b = 2; }"),
        False,
        "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
    ),
    "field added to an existing oneof": (
        msg("oneof o { int32 a = 1; }"),
        msg("oneof o { int32 a = 1; string b = 2; }"),
        True,
        "",
    ),
    "field removed from a oneof": (
        msg("oneof o { int32 a = 1; string b = 2; }"),
        msg("oneof o { int32 a = 1; }"),
        False,
        "ONEOF_FIELD_REMOVED",
    ),
    "enum value added": (
        'syntax = "proto3"; enum E { A = 0; } message M { E e = 1; }',
        'syntax = "proto3"; enum E { A = 0; B = 1; } message M { E e = 1; }',
        True,
        "",
    ),
}


@pytest.mark.parametrize(
    ("old", "new", "compatible", "error_type"), CASES.values(), ids=CASES.keys()
)
def test_backward_table(old: str, new: str, compatible: bool, error_type: str) -> None:
    reasons = check(proto(new), [proto(old)], BACKWARD)
    assert (reasons == []) is compatible, reasons
    if error_type:
        assert error_type in " ".join(reasons)


def test_required_fields_may_be_neither_added_nor_removed() -> None:
    optional = msg("optional int32 a = 1;", syntax="proto2")
    required = msg("optional int32 a = 1; required int32 b = 2;", syntax="proto2")
    added = check(proto(required), [proto(optional)], BACKWARD)
    removed = check(proto(optional), [proto(required)], BACKWARD)
    assert "REQUIRED_FIELD_ADDED" in " ".join(added)
    assert "REQUIRED_FIELD_REMOVED" in " ".join(removed)
    made_required = msg("required int32 a = 1;", syntax="proto2")
    # FORWARD reads new data with the old schema: to it the required label has gone.
    assert "REQUIRED_FIELD_REMOVED" in " ".join(
        check(proto(made_required), [proto(optional)], FORWARD)
    )
