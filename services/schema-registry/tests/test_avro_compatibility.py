"""Avro compatibility tables from the spec's schema-resolution rules (new = reader for BACKWARD)."""

import pytest
from kanal_registry.compatibility import CompatibilityLevel, check

from .helpers import avro, field, record

BACKWARD, FORWARD, FULL = (
    CompatibilityLevel.BACKWARD,
    CompatibilityLevel.FORWARD,
    CompatibilityLevel.FULL,
)


def single(type_: object, **extra: object) -> dict[str, object]:
    return record(field("f", type_, **extra))


def enum(*symbols: str, **extra: object) -> dict[str, object]:
    return {"type": "enum", "name": "E", "symbols": list(symbols), **extra}


def fixed(size: int, name: str = "F") -> dict[str, object]:
    return {"type": "fixed", "name": name, "size": size}


# (old, new, backward compatible?, forward compatible?)
CASES = {
    "int to long promotes": (single("int"), single("long"), True, False),
    "int to float promotes": (single("int"), single("float"), True, False),
    "int to double promotes": (single("int"), single("double"), True, False),
    "long to float promotes": (single("long"), single("float"), True, False),
    "long to double promotes": (single("long"), single("double"), True, False),
    "float to double promotes": (single("float"), single("double"), True, False),
    "long to int narrows": (single("long"), single("int"), False, True),
    "string to bytes": (single("string"), single("bytes"), True, True),
    "int to string": (single("int"), single("string"), False, False),
    "boolean to int": (single("boolean"), single("int"), False, False),
    "field added with default": (record(), record(field("a", "int", default=0)), True, True),
    "field added without default": (record(), record(field("a", "int")), False, True),
    "field removed that had a default": (
        record(field("a", "int", default=0)),
        record(),
        True,
        True,
    ),
    "field removed without default": (record(field("a", "int")), record(), True, False),
    "field renamed with an alias": (
        record(field("a", "int")),
        record(field("b", "int", aliases=["a"])),
        True,
        False,
    ),
    "enum symbol added": (single(enum("A")), single(enum("A", "B")), True, False),
    "enum symbol removed": (single(enum("A", "B")), single(enum("A")), False, True),
    "enum symbol removed, reader default": (
        single(enum("A", "B")),
        single(enum("A", default="A")),
        True,
        True,
    ),
    "enum renamed": (single(enum("A")), single({**enum("A"), "name": "G"}), False, False),
    "enum renamed with alias": (
        single(enum("A")),
        single({**enum("A"), "name": "G", "aliases": ["E"]}),
        True,
        False,
    ),
    "fixed size changed": (single(fixed(4)), single(fixed(8)), False, False),
    "fixed same size": (single(fixed(4)), single(fixed(4)), True, True),
    "null added to a union": (single("int"), single(["null", "int"], default=None), True, False),
    "union branch removed": (
        single(["null", "int", "string"]),
        single(["null", "int"]),
        False,
        True,
    ),
    "union to its only branch": (single(["int"]), single("int"), True, True),
    "union branch promoted": (single(["null", "int"]), single(["null", "long"]), True, False),
    "nested record field added": (
        single(record(field("x", "int"), name="In")),
        single(record(field("x", "int"), field("y", "int"), name="In")),
        False,
        True,
    ),
    "nested record field added with default": (
        single(record(field("x", "int"), name="In")),
        single(record(field("x", "int"), field("y", "int", default=1), name="In")),
        True,
        True,
    ),
    "nested record renamed with an alias": (
        single(record(name="In")),
        single({**record(name="Out"), "aliases": ["In"]}),
        True,
        False,
    ),
    "top-level record renamed": (record(name="A"), record(name="B"), False, False),
    "nested record renamed": (
        single(record(name="In")),
        single(record(name="Out")),
        False,
        False,
    ),
    "array items promoted": (
        single({"type": "array", "items": "int"}),
        single({"type": "array", "items": "long"}),
        True,
        False,
    ),
    "map values changed": (
        single({"type": "map", "values": "int"}),
        single({"type": "map", "values": "string"}),
        False,
        False,
    ),
    "record to map": (
        single(record(name="In")),
        single({"type": "map", "values": "int"}),
        False,
        False,
    ),
}


@pytest.mark.parametrize(("old", "new", "backward", "forward"), CASES.values(), ids=CASES.keys())
def test_compatibility_table(old: object, new: object, backward: bool, forward: bool) -> None:
    old_schema, new_schema = avro(old), avro(new)
    assert (check(new_schema, [old_schema], BACKWARD) == []) is backward
    assert (check(new_schema, [old_schema], FORWARD) == []) is forward
    assert (check(new_schema, [old_schema], FULL) == []) is (backward and forward)
    assert check(new_schema, [old_schema], CompatibilityLevel.NONE) == []


def test_a_reason_names_the_error_type_the_path_and_the_field() -> None:
    reasons = check(avro(record(field("a", "int"))), [avro(record())], BACKWARD)
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in reasons[0]
    assert "/fields/0" in reasons[0] and "'a'" in reasons[0]
    assert reasons[-1] == "{compatibility: 'BACKWARD'}"
    assert reasons[-2].startswith("{oldSchema: ")


def test_every_problem_of_a_comparison_is_reported_with_its_own_type() -> None:
    old = avro(
        record(
            field("a", "int"),
            field("e", enum("A", "B")),
            field("x", fixed(4)),
            field("u", ["null", "int", "string"]),
            field("r", record(name="In")),
        )
    )
    new = avro(
        record(
            field("a", "string"),
            field("b", "int"),
            field("e", enum("A")),
            field("x", fixed(8)),
            field("u", ["null", "int"]),
            field("r", record(name="Out")),
        )
    )
    reasons = check(new, [old], BACKWARD)[:-2]
    by_type = {r.split("'")[1]: r for r in reasons}
    # The message shapes of avro.compatibility that avro_incompatibilities relies on:
    assert (
        "additionalInfo:'reader type: string not compatible with writer type: int'"
        in by_type["TYPE_MISMATCH"]
    )
    assert "additionalInfo:'b'" in by_type["READER_FIELD_MISSING_DEFAULT_VALUE"]
    assert "additionalInfo:'{'B'}'" in by_type["MISSING_ENUM_SYMBOLS"]
    assert "additionalInfo:'expected: 4, found: 8'" in by_type["FIXED_SIZE_MISMATCH"]
    assert "additionalInfo:'expected: In'" in by_type["NAME_MISMATCH"]
    assert "reader union lacking writer type" in by_type["MISSING_UNION_BRANCH"]
    assert len(reasons) == 6


def test_recursive_records_are_compared_without_looping() -> None:
    node = record(field("value", "int"), field("next", ["null", "Node"], default=None), name="Node")
    grown = record(
        field("value", "long"),
        field("next", ["null", "Node"], default=None),
        field("label", "string", default=""),
        name="Node",
    )
    assert check(avro(grown), [avro(node)], BACKWARD) == []
    assert check(avro(grown), [avro(node)], FORWARD) != []
