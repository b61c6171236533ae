"""The attributes each Avro type must have, checked with a path before `avro` parses.

`avro` reports a missing attribute as "Could not make an Avro Schema object from None", which
names neither the attribute nor where it is missing; this check names both.
"""

from __future__ import annotations

from kanal_registry.errors import InvalidSchema

_REQUIRED = {
    "record": ("name", "fields"),
    "error": ("name", "fields"),
    "enum": ("name", "symbols"),
    "fixed": ("name", "size"),
    "array": ("items",),
    "map": ("values",),
}


def check_shape(document: object) -> None:
    """Raise InvalidSchema naming the first type without a required attribute, and its path."""
    pending: list[tuple[object, str]] = [(document, "$")]
    while pending:
        node, path = pending.pop()
        if isinstance(node, list):
            pending.extend((branch, f"{path}[{i}]") for i, branch in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        kind = node.get("type")
        for attribute in _REQUIRED.get(kind, ()) if isinstance(kind, str) else ():
            if attribute not in node:
                raise InvalidSchema(
                    f"Invalid Avro schema: the {kind} at {path} has no {attribute!r}"
                )
        if isinstance(kind, dict | list):
            pending.append((kind, f"{path}.type"))
        for key in ("items", "values"):
            if key in node:
                pending.append((node[key], f"{path}.{key}"))
        fields = node.get("fields")
        if isinstance(fields, list):
            for i, member in enumerate(fields):
                if isinstance(member, dict):
                    pending.append((member.get("type"), f"{path}.fields[{i}]"))
