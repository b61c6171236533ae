"""A struct schema's JSON writer as one function compiled for that schema.

The generic prepared struct writer called two closures per field (the null check, then the
field's writer) and joined a list: for a Debezium envelope (~25 fields with its row and
source block) that was most of the conversion. The compiled writer reads each field once
and answers the common cases inline: null (or the default text `_null_or` would give), an
int of the field's integer type in range, a str for a string field (the same str object
as the field's last one reuses its text); anything else goes to
the field's prepared writer, so the text and the errors stay the prepared (and so the
generic) path's. For fields `a` (optional int32) and `b` (string) it is:

    def write(value):
        if type(value) is not Struct or (value.schema is not schema
                                         and not same_struct_shape(value.schema, schema)):
            return generic(value)
        v = value.field_values()
        x = v[0]
        if x is None: p0 = n0
        elif type(x) is int and lo0 <= x <= hi0: p0 = str(x)
        else: p0 = w0(x)
        x = v[1]
        if type(x) is str:
            last = s1[0]
            if x is last[0]: p1 = last[1]
            else:
                p1 = quote(x)
                s1[0] = (x, p1)
        else: p1 = w1(x)
        return k0 + p0 + k1 + p1 + "}"

Only generated names and indexes enter the source; field names, defaults and writers are
passed in the namespace, never pasted as text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from kanal_connect.converters import jackson
from kanal_connect.data.schema import Schema
from kanal_connect.data.structs import Struct
from kanal_connect.data.validation import same_struct_shape

Writer = Callable[[object], str]
_NOTHING = object()
Inline = Literal["int", "str"] | None


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """How one field is written."""

    name: str
    index: int  # of its value in `Struct.field_values()`
    writer: Writer  # the field's prepared writer: the answer for anything not inlined
    null_text: str | None  # the text of a null value when fixed, else None (ask `writer`)
    inline: Inline  # a type whose text is written inline: exact int in `bounds`, exact str
    bounds: tuple[int, int] = (0, -1)


def compile_struct_writer(schema: Schema, fields: Sequence[FieldPlan], generic: Writer) -> Writer:
    namespace: dict[str, object] = {
        "Struct": Struct, "same_struct_shape": same_struct_shape, "schema": schema,
        "generic": generic, "quote": jackson.quote,
    }
    lines = [
        "def write(value):",
        "    if type(value) is not Struct or (",
        "            value.schema is not schema and not same_struct_shape(value.schema, schema)):",
        "        return generic(value)",
        "    v = value.field_values()",
    ]
    parts: list[str] = []
    for position, field in enumerate(fields):
        opening = "{" if position == 0 else ","
        namespace[f"k{position}"] = opening + jackson.quote(field.name) + ":"
        namespace[f"w{position}"] = field.writer
        lines.append(f"    x = v[{field.index}]")
        branch = "if"
        if field.null_text is not None:
            namespace[f"n{position}"] = field.null_text
            lines.append(f"    if x is None: p{position} = n{position}")
            branch = "elif"
        if field.inline == "int":
            namespace[f"lo{position}"], namespace[f"hi{position}"] = field.bounds
            lines.append(f"    {branch} type(x) is int and lo{position} <= x <= hi{position}: "
                         f"p{position} = str(x)")
            branch = "elif"
        elif field.inline == "str":
            # The last string and its text, as one tuple so that a reader on another thread
            # never pairs a string with another's text; it holds the string, so its id is
            # not reused while cached. A transaction's events share their source block's
            # strings (version, connector, db, schema, table): these are hits.
            namespace[f"s{position}"] = [(_NOTHING, "")]
            lines += [f"    {branch} type(x) is str:",
                      f"        last = s{position}[0]",
                      f"        if x is last[0]: p{position} = last[1]",
                      "        else:",
                      f"            p{position} = quote(x)",
                      f"            s{position}[0] = (x, p{position})"]
            branch = "elif"
        if branch == "if":
            lines.append(f"    p{position} = w{position}(x)")
        else:
            lines.append(f"    else: p{position} = w{position}(x)")
        parts += [f"k{position}", f"p{position}"]
    lines.append("    return " + " + ".join(parts) + ' + "}"' if parts else '    return "{}"')
    exec(compile("\n".join(lines), f"<json struct writer {schema.name}>", "exec"), namespace)
    write: Writer = namespace["write"]  # type: ignore[assignment]
    return write
