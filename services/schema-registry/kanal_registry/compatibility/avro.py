"""Avro compatibility: the Avro spec's schema resolution, as the `avro` package checks it.

`avro.compatibility.ReaderWriterCompatibilityChecker` is a port of Java Avro's
`SchemaCompatibility`, which Confluent uses: promotions int -> long -> float -> double and
string <-> bytes, reader fields absent from the writer need a default, writer enum symbols must
be in the reader (or the reader enum has a default), named types match by name or reader
alias, fixed sizes match, and each writer union branch must be readable.

The package merges the reasons of one comparison into sets, so when several incompatibilities
are found their kinds, messages and locations are no longer paired: each message is then given
its kind by its shape, and the path lists every location found.
"""

from __future__ import annotations

import avro.schema
from avro.compatibility import (
    ReaderWriterCompatibilityChecker,
    SchemaCompatibilityType,
    SchemaIncompatibilityType,
)

from kanal_registry.compatibility.reasons import Roles, reason

_Kind = SchemaIncompatibilityType
_EXPLANATIONS = {
    _Kind.name_mismatch: (
        "the {reader} schema's type name differs from the {writer} schema's "
        "and has no matching alias"
    ),
    _Kind.fixed_size_mismatch: (
        "the fixed type has a different size in the {reader} and {writer} schemas"
    ),
    _Kind.missing_enum_symbols: (
        "the {writer} schema's enum has symbols the {reader} schema's enum lacks, "
        "and the {reader} enum has no default"
    ),
    _Kind.reader_field_missing_default_value: (
        "a field of the {reader} schema is missing in the {writer} schema and has no default value"
    ),
    _Kind.type_mismatch: "the {reader} schema's type cannot read the {writer} schema's type",
    _Kind.missing_union_branch: (
        "the {reader} schema's union cannot read a branch of the {writer} schema"
    ),
}


def avro_incompatibilities(
    *, reader: avro.schema.Schema, writer: avro.schema.Schema, roles: Roles
) -> list[str]:
    """Why data written with `writer` cannot be read with `reader`; [] when it can."""
    checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]
    result = checker.get_compatibility(reader, writer)
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    kinds = list(dict.fromkeys(result.incompatibilities))
    path = ",".join(sorted(result.locations))
    reasons = []
    for message in sorted(result.messages):
        kind = kinds[0] if len(kinds) == 1 else _kind_of(message)
        description = _EXPLANATIONS[kind].format(reader=roles.reader, writer=roles.writer)
        reasons.append(reason(kind.name.upper(), description, path=path, info=message))
    return reasons


def _kind_of(message: str) -> SchemaIncompatibilityType:
    """The kind of one message, from the shapes `avro.compatibility` writes them in.

    test_avro_compatibility pins these shapes, so an `avro` release that changes them fails
    a test instead of mislabelling reasons.
    """
    if message.startswith("reader type:"):
        return _Kind.type_mismatch
    if message.startswith("reader union lacking writer type"):
        return _Kind.missing_union_branch
    if message.startswith("expected: "):
        return _Kind.fixed_size_mismatch if ", found: " in message else _Kind.name_mismatch
    if message.startswith("{"):
        return _Kind.missing_enum_symbols
    return _Kind.reader_field_missing_default_value
