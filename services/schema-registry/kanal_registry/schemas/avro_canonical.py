"""Avro's Parsing Canonical Form, and the registry's normal form, computed on the JSON text.

The Avro spec ("Parsing Canonical Form for Schemas") defines the transformations applied here:
[PRIMITIVES] `{"type": "int"}` becomes `"int"`; [FULLNAMES] every name and type reference
becomes a full name and `namespace` attributes go; [STRIP] only type, name, fields, symbols,
items, values and size remain (so doc, aliases, defaults, order and logicalType go);
[ORDER] attributes in that order; [STRINGS], [INTEGERS], [WHITESPACE] are the compact JSON
that `json.dumps` writes with `ensure_ascii=False` and no spaces.

The `avro` package has a canonical form of its own, but it leaves `{"type": "string"}` where a
logical type was stripped, which the spec's [PRIMITIVES] rule forbids; hence this module.

The normal form keeps every attribute (defaults and aliases change what a reader does) but
applies [PRIMITIVES], [FULLNAMES] and [ORDER], the other keys following in sorted order, so
texts that differ only in layout, key order or namespace spelling normalize equal.
"""

from __future__ import annotations

import json

PRIMITIVE_TYPES = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
)
NAMED_TYPES = frozenset({"record", "error", "enum", "fixed"})
CANONICAL_ORDER = ("name", "type", "fields", "symbols", "items", "values", "size")


def canonical_form(document: object) -> str:
    """The Parsing Canonical Form of an Avro schema given as parsed JSON."""
    return _dump(_Transform(keep_all=False).schema(document, namespace=""))


def normal_form(document: object) -> str:
    """The registry's normal form: canonical layout and names, all attributes kept."""
    return _dump(_Transform(keep_all=True).schema(document, namespace=""))


def _dump(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def full_name(name: str, namespace: str) -> str:
    """A name as written, made full by the enclosing namespace (Avro's name resolution)."""
    if "." in name or not namespace:
        return name
    return f"{namespace}.{name}"


class _Transform:
    def __init__(self, *, keep_all: bool) -> None:
        self.keep_all = keep_all

    def schema(self, node: object, namespace: str) -> object:
        if isinstance(node, str):
            return node if node in PRIMITIVE_TYPES else full_name(node, namespace)
        if isinstance(node, list):
            return [self.schema(branch, namespace) for branch in node]
        if not isinstance(node, dict):
            return node
        kind = node.get("type")
        if kind in NAMED_TYPES:
            return self._named(node, namespace)
        if isinstance(kind, str) and kind in PRIMITIVE_TYPES:
            extra = self._extra(node, skip={"type"})
            return kind if not extra else {"type": kind, **extra}
        out: dict[str, object] = {"type": kind}
        if "items" in node:
            out["items"] = self.schema(node["items"], namespace)
        if "values" in node:
            out["values"] = self.schema(node["values"], namespace)
        out.update(self._extra(node, skip={"type", "items", "values"}))
        return out

    def _named(self, node: dict[str, object], namespace: str) -> dict[str, object]:
        raw_name = str(node.get("name", ""))
        declared_space = node.get("namespace")
        if "." in raw_name:
            name = raw_name
        elif isinstance(declared_space, str) and declared_space:
            name = f"{declared_space}.{raw_name}"
        elif declared_space == "":
            name = raw_name
        else:
            name = full_name(raw_name, namespace)
        inner_space = name.rpartition(".")[0]
        out: dict[str, object] = {"name": name, "type": node["type"]}
        if "fields" in node and isinstance(node["fields"], list):
            out["fields"] = [self._field(field, inner_space) for field in node["fields"]]
        for key in ("symbols", "size"):
            if key in node:
                out[key] = node[key]
        out.update(
            self._extra(node, skip={"name", "namespace", "type", "fields", "symbols", "size"})
        )
        aliases = node.get("aliases")
        if self.keep_all and isinstance(aliases, list):
            out["aliases"] = [full_name(str(alias), inner_space) for alias in aliases]
        return out

    def _field(self, field: object, namespace: str) -> object:
        if not isinstance(field, dict):
            return field
        out: dict[str, object] = {
            "name": field.get("name"),
            "type": self.schema(field.get("type"), namespace),
        }
        out.update(self._extra(field, skip={"name", "type"}))
        return out

    def _extra(self, node: dict[str, object], *, skip: set[str]) -> dict[str, object]:
        if not self.keep_all:
            return {}
        return {key: node[key] for key in sorted(node) if key not in skip}
