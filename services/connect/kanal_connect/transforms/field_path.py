"""Field paths for `field.syntax.version` (KIP-821).

V1 (the default) takes the configured name as one top-level field. V2 reads dotted paths
into nested structs/maps; a segment wrapped in backticks may contain dots, and a doubled
backtick inside it stands for one backtick.
"""

from __future__ import annotations

from kanal_connect.config.definition import ConfigDef, ConfigType, Importance
from kanal_connect.config.validators import one_of
from kanal_connect.data.schema import Schema, SchemaType
from kanal_connect.data.structs import Struct

FIELD_SYNTAX_VERSION = "field.syntax.version"


def define_field_syntax(config: ConfigDef) -> ConfigDef:
    return config.define(
        FIELD_SYNTAX_VERSION,
        ConfigType.STRING,
        "V1",
        Importance.HIGH,
        "Defines the version of the syntax to access fields. If set to `V1`, then the field "
        "paths are limited to access the elements at the root level of the struct or map. If "
        "set to `V2`, the syntax will support accessing nested elements. To access nested "
        "elements, dotted notation is used. If dots are already included in the field name, "
        "then backtick pairs can be used to wrap field names containing dots. E.g. to access "
        'the subfield `baz` from a field named "foo.bar" in a struct/map the following format '
        'can be used to access its elements: "`foo.bar`.baz".',
        validator=one_of("V1", "V2", "v1", "v2"),
    )


def parse_path(text: str, version: str) -> tuple[str, ...]:
    if version.upper() == "V1":
        return (text,)
    segments: list[str] = []
    current: list[str] = []
    quoted = False
    index = 0
    while index < len(text):
        char = text[index]
        if char == "`":
            if quoted and text[index + 1 : index + 2] == "`":
                current.append("`")
                index += 2
                continue
            quoted = not quoted
        elif char == "." and not quoted:
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    segments.append("".join(current))
    return tuple(segments)


def value_at(value: object, path: tuple[str, ...], replace_null_with_default: bool) -> object:
    """The value at `path` in nested maps/structs, or None where the path runs out."""
    for segment in path:
        if isinstance(value, dict):
            value = value.get(segment)
        elif isinstance(value, Struct) and value.schema.field(segment) is not None:
            value = (
                value.get(segment)
                if replace_null_with_default
                else value.get_without_default(segment)
            )
        else:
            return None
    return value


def schema_at(schema: Schema, path: tuple[str, ...]) -> Schema | None:
    for segment in path:
        if schema.type is not SchemaType.STRUCT:
            return None
        field = schema.field(segment)
        if field is None:
            return None
        schema = field.schema
    return schema
