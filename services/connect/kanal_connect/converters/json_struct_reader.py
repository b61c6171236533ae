"""A struct schema's JSON reader as one function compiled for that schema.

The prepared struct reader called a closure per field, each testing its node's type and
calling the generic reader when that failed: per record, as much work as parsing the JSON.
The compiled reader makes the same tests inline, in field order, and calls a field's
prepared reader only for a node off those fast branches, so values and errors stay the
prepared (and so the generic) path's. For fields `id` (int64) and `amount` (float64):

    def read(node):
        if type(node) is not dict:
            return generic(node)
        get = node.get
        x = get(f0)
        if type(x) is int and lo0 <= x <= hi0: p0 = x
        else: p0 = r0(x)
        x = get(f1)
        if type(x) is Decimal: p1 = float(x)
        else: p1 = r1(x)
        return trusted(schema, [p0, p1])

Only generated names and indexes enter the source; field names, bounds and readers are
passed in the namespace, never pasted as text.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from kanal_connect.data.schema import Schema
from kanal_connect.data.structs import Struct

Reader = Callable[[object], object]
Inline = Literal["int", "str", "bool", "float64"] | None

# The fast branch of each inline kind: the node's exact type, and the value it gives.
_BRANCHES: dict[str, tuple[str, str]] = {
    "int": ("type(x) is int and lo{i} <= x <= hi{i}", "x"),
    "str": ("type(x) is str", "x"),
    "bool": ("x is True or x is False", "x"),
    # float() of a Decimal never overflows: it gives the infinity the generic path would.
    "float64": ("type(x) is Decimal", "float(x)"),
}


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """How one field is read."""

    name: str
    reader: Reader  # the field's prepared reader: the answer for anything not inlined
    inline: Inline  # the node type taken inline, when the field has one
    bounds: tuple[int, int] = (0, -1)  # of an inline int


def compile_struct_reader(schema: Schema, fields: Sequence[FieldPlan], generic: Reader
                          ) -> Reader:
    namespace: dict[str, object] = {
        "generic": generic, "trusted": Struct.trusted, "schema": schema,
        "Decimal": decimal.Decimal,
    }
    lines = [
        "def read(node):",
        "    if type(node) is not dict:",
        "        return generic(node)",
        "    get = node.get",
    ]
    for i, field in enumerate(fields):
        namespace[f"f{i}"], namespace[f"r{i}"] = field.name, field.reader
        lines.append(f"    x = get(f{i})")
        if field.inline is None:
            lines.append(f"    p{i} = r{i}(x)")
            continue
        if field.inline == "int":
            namespace[f"lo{i}"], namespace[f"hi{i}"] = field.bounds
        test, value = _BRANCHES[field.inline]
        lines += [f"    if {test.format(i=i)}: p{i} = {value}",
                  f"    else: p{i} = r{i}(x)"]
    values = ", ".join(f"p{i}" for i in range(len(fields)))
    lines.append(f"    return trusted(schema, [{values}])")
    exec(compile("\n".join(lines), f"<json struct reader {schema.name}>", "exec"), namespace)
    read: Reader = namespace["read"]  # type: ignore[assignment]
    return read
