"""Hypothesis strategies for well-formed schemas, so the checkers see many valid pairs."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from kanal_registry.compatibility.reasons import Roles

ROLES = Roles(reader="new", writer="old")
ORACLE = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
"""Settings of the oracle tests, which draw data for each generated pair of schemas."""

AVRO_PRIMITIVES = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]
NAMES = ["A", "B", "C"]


def avro_types(depth: int = 2) -> st.SearchStrategy[object]:
    primitive = st.sampled_from(AVRO_PRIMITIVES)
    if depth == 0:
        return primitive
    inner = avro_types(depth - 1)
    record = st.builds(
        lambda name, fields: {"type": "record", "name": name, "fields": fields},
        st.sampled_from(NAMES),
        st.lists(
            st.builds(
                lambda n, t, d: {"name": n, "type": t, **({"default": d} if d is not None else {})},
                st.sampled_from(["f", "g", "h"]),
                inner,
                st.one_of(st.none(), st.integers(0, 3), st.just("x")),
            ),
            max_size=3,
            unique_by=lambda f: f["name"],
        ),
    )
    enum = st.builds(
        lambda name, symbols: {"type": "enum", "name": name, "symbols": symbols},
        st.sampled_from(["E1", "E2"]),
        st.lists(st.sampled_from(["X", "Y", "Z"]), min_size=1, unique=True),
    )
    union = st.lists(st.sampled_from(AVRO_PRIMITIVES), min_size=1, max_size=3, unique=True)
    array = st.builds(lambda items: {"type": "array", "items": items}, inner)
    return st.one_of(primitive, record, enum, union, array)


def avro_texts() -> st.SearchStrategy[str]:
    return avro_types().map(json.dumps)


def json_schemas(depth: int = 2) -> st.SearchStrategy[object]:
    leaf = st.fixed_dictionaries(
        {"type": st.sampled_from(["string", "integer", "number", "boolean", "null"])},
        optional={
            "maxLength": st.integers(0, 5),
            "minLength": st.integers(0, 5),
            "maximum": st.integers(-5, 5),
            "minimum": st.integers(-5, 5),
            "exclusiveMaximum": st.integers(-5, 5),
            "multipleOf": st.sampled_from([1, 2, 0.5]),
            "pattern": st.sampled_from(["^a", "b$"]),
            "enum": st.lists(st.integers(0, 3), min_size=1),
        },
    )
    if depth == 0:
        return st.one_of(leaf, st.booleans())
    inner = json_schemas(depth - 1)
    names = st.sampled_from(["p", "q", "r"])
    obj = st.fixed_dictionaries(
        {"type": st.just("object")},
        optional={
            "properties": st.dictionaries(names, inner, max_size=3),
            "required": st.lists(names, unique=True, max_size=2),
            "additionalProperties": st.one_of(st.booleans(), inner),
        },
    )
    arr = st.fixed_dictionaries(
        {"type": st.just("array")},
        optional={"items": inner, "maxItems": st.integers(0, 3), "uniqueItems": st.booleans()},
    )
    combined = st.builds(
        lambda key, branches: {key: branches},
        st.sampled_from(["anyOf", "oneOf", "allOf"]),
        st.lists(inner, min_size=1, max_size=3),
    )
    return st.one_of(leaf, obj, arr, combined)


def json_schema_texts() -> st.SearchStrategy[str]:
    return json_schemas().map(json.dumps)


PROTO_FIELD_TYPES = [
    "int32",
    "int64",
    "uint32",
    "bool",
    "sint32",
    "string",
    "bytes",
    "fixed32",
    "double",
    "Inner",
]


def proto_texts() -> st.SearchStrategy[str]:
    fields = st.lists(
        st.tuples(
            st.sampled_from(["", "repeated "]),
            st.sampled_from(PROTO_FIELD_TYPES),
            st.sampled_from(["a", "b", "c", "d"]),
            st.integers(1, 5),
            st.booleans(),
        ),
        max_size=5,
        unique_by=(lambda f: f[2], lambda f: f[3]),
    )

    def render(package: str, spec: list[tuple[str, str, str, int, bool]]) -> str:
        plain = [
            f"{label}{kind} {name} = {number};"
            for label, kind, name, number, in_oneof in spec
            if not in_oneof or label
        ]
        oneof = [
            f"{kind} {name} = {number};"
            for label, kind, name, number, in_oneof in spec
            if in_oneof and not label
        ]
        body = " ".join(plain) + (f" oneof o {{ {' '.join(oneof)} }}" if oneof else "")
        return (
            f'syntax = "proto3"; package {package}; '
            f"message Outer {{ {body} message Inner {{ int32 x = 1; }} }}"
        )

    return st.builds(render, st.sampled_from(["p", "q"]), fields)


def _dict_paths(node: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found: list[tuple[object, ...]] = []
    if isinstance(node, dict):
        found.append(path)
        for key, value in node.items():
            found.extend(_dict_paths(value, (*path, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_dict_paths(value, (*path, index)))
    return found


def _at(node: Any, path: tuple[object, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


@st.composite
def json_schema_variants(draw: st.DrawFn, schema: object) -> object:
    """`schema` changed in one to three places, as a schema's next version might be."""
    variant = copy.deepcopy(schema)
    for _ in range(draw(st.integers(1, 3))):
        paths = _dict_paths(variant)
        if not paths:
            return variant
        target = _at(variant, draw(st.sampled_from(paths)))
        operation = draw(
            st.sampled_from(["drop", "bound", "type", "closed", "prop", "require", "enum", "wrap"])
        )
        if operation == "drop" and target:
            del target[draw(st.sampled_from(sorted(target)))]
        elif operation == "bound":
            keyword = draw(
                st.sampled_from(
                    ["maxLength", "minLength", "maximum", "minimum", "maxItems", "exclusiveMaximum"]
                )
            )
            low = -2 if keyword in ("maximum", "minimum", "exclusiveMaximum") else 0
            target[keyword] = draw(st.integers(low, 6))
        elif operation == "type":
            target["type"] = draw(
                st.sampled_from(["string", "integer", "number", "object", "array", "null"])
            )
        elif operation == "closed":
            target["additionalProperties"] = draw(st.booleans())
        elif operation == "prop":
            target.setdefault("properties", {})[draw(st.sampled_from(["p", "q", "r"]))] = draw(
                json_schemas(0)
            )
        elif operation == "require":
            target["required"] = draw(
                st.lists(st.sampled_from(["p", "q", "r"]), unique=True, max_size=2)
            )
        elif operation == "enum":
            target["enum"] = draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
        elif operation == "wrap":
            variant = {draw(st.sampled_from(["anyOf", "oneOf"])): [variant, draw(json_schemas(0))]}
    return variant


@st.composite
def avro_variants(draw: st.DrawFn, schema: object) -> object:
    """`schema` changed as a next version might: types, fields, defaults, symbols, branches."""
    variant = copy.deepcopy(schema)
    for _ in range(draw(st.integers(1, 3))):
        records = [p for p in _dict_paths(variant) if _at(variant, p).get("type") == "record"]
        enums = [p for p in _dict_paths(variant) if _at(variant, p).get("type") == "enum"]
        operation = draw(
            st.sampled_from(["field_type", "add_field", "drop_field", "symbols", "nullable"])
        )
        if operation == "symbols" and enums:
            target = _at(variant, draw(st.sampled_from(enums)))
            target["symbols"] = draw(
                st.lists(st.sampled_from(["X", "Y", "Z"]), min_size=1, unique=True)
            )
        elif records:
            fields = _at(variant, draw(st.sampled_from(records)))["fields"]
            if operation == "add_field":
                name = draw(st.sampled_from(["f", "g", "h", "k"]))
                if all(f["name"] != name for f in fields):
                    new: dict[str, object] = {
                        "name": name,
                        "type": draw(st.sampled_from(AVRO_PRIMITIVES)),
                    }
                    if draw(st.booleans()):
                        new["type"], new["default"] = ["null", new["type"]], None
                    fields.append(new)
            elif operation == "drop_field" and fields:
                fields.pop(draw(st.integers(0, len(fields) - 1)))
            elif fields:
                chosen = fields[draw(st.integers(0, len(fields) - 1))]
                if operation == "field_type":
                    chosen["type"] = draw(st.sampled_from(AVRO_PRIMITIVES))
                    chosen.pop("default", None)
                else:
                    chosen["type"], chosen["default"] = ["null", chosen["type"]], None
    return variant


PROTO_LABELS = ["", "optional ", "repeated ", "required "]
PROTO_TYPE_NAMES = [
    *PROTO_FIELD_TYPES,
    "Outer",
    "Outer.Inner",
    ".p.Outer",
    "E",
    "Missing",
    "Inner.E",
]


@st.composite
def proto_files(draw: st.DrawFn) -> str:
    """.proto files that may break protobuf's semantic rules (numbers, names, types, labels)."""
    syntax = draw(
        st.sampled_from(['syntax = "proto2";', 'syntax = "proto3";', 'edition = "2023";'])
    )

    def field_line(*, in_oneof: bool = False) -> str:
        label = "" if in_oneof else draw(st.sampled_from(PROTO_LABELS))
        name = draw(st.sampled_from(["a", "b", "c", "d"]))
        number = draw(st.sampled_from([0, 1, 2, 3, 4, 19000, 536870912]))
        if draw(st.integers(0, 9)) == 0 and not in_oneof:
            key = draw(st.sampled_from(["string", "int32", "double", "bool"]))
            value = draw(st.sampled_from(PROTO_TYPE_NAMES))
            return f"map<{key}, {value}> m{name} = {number};"
        return f"{label}{draw(st.sampled_from(PROTO_TYPE_NAMES))} {name} = {number};"

    body = [field_line() for _ in range(draw(st.integers(0, 4)))]
    if draw(st.booleans()):
        reserved = draw(st.sampled_from(["2", "1 to 3", "4 to max", '"a"']))
        body.append(f"reserved {reserved};")
    if draw(st.booleans()):
        members = [field_line(in_oneof=True) for _ in range(draw(st.integers(1, 2)))]
        body.append(f"oneof o {{ {' '.join(members)} }}")
    enum_first = draw(st.sampled_from([0, 1]))
    # proto3 requires an enum's first value to be 0; a 1 there must be rejected.
    inner_enum = f"enum E {{ V{enum_first} = {enum_first}; W = 5; }}"
    inner = f"message Inner {{ optional int32 x = 1; {inner_enum} }}"
    enum = "enum E { A = 0; B = 1; }" if draw(st.booleans()) else ""
    outer = f"message Outer {{ {' '.join(body)} {inner} }}"
    return f"{syntax} package p; {enum} {outer}"
