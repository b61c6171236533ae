"""A .proto file's source text rebuilt from its descriptor, for registering Protobuf schemas.

Schema registries store Protobuf schemas as .proto text (what Confluent's Java serializer
registers, what `kanal schema get` shows, what compatibility checks parse). A Python message
class carries only its compiled descriptor, so the text is printed back from it: syntax,
package, imports, messages (fields, maps, oneofs, proto3 `optional`, nested types, reserved),
enums and services. Options with a plain value (file, message, field, enum and enum value
options, `default`, a `json_name` other than protoc's own) are printed, so the text names the
same file as the base64 descriptor confluent-kafka registers for it; custom (extension)
options are left out. Type references are printed fully qualified (leading dot), which the
.proto grammar accepts anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from google.protobuf import descriptor_pb2
from google.protobuf.message import Message

from kanal.errors import SerializationError

_F = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    _F.TYPE_DOUBLE: "double", _F.TYPE_FLOAT: "float", _F.TYPE_INT64: "int64",
    _F.TYPE_UINT64: "uint64", _F.TYPE_INT32: "int32", _F.TYPE_FIXED64: "fixed64",
    _F.TYPE_FIXED32: "fixed32", _F.TYPE_BOOL: "bool", _F.TYPE_STRING: "string",
    _F.TYPE_BYTES: "bytes", _F.TYPE_UINT32: "uint32", _F.TYPE_SFIXED32: "sfixed32",
    _F.TYPE_SFIXED64: "sfixed64", _F.TYPE_SINT32: "sint32", _F.TYPE_SINT64: "sint64",
}  # fmt: skip
_INDENT = "  "
_MessageRange = descriptor_pb2.DescriptorProto.ReservedRange
_EnumRange = descriptor_pb2.EnumDescriptorProto.EnumReservedRange


def proto_text(file: descriptor_pb2.FileDescriptorProto) -> str:
    syntax = file.syntax or "proto2"
    if syntax not in ("proto2", "proto3"):
        raise SerializationError(f"{file.name}: syntax {syntax!r} cannot be registered as text")
    lines = [f'syntax = "{syntax}";']
    if file.package:
        lines.append(f"package {file.package};")
    lines += [f'import "{dependency}";' for dependency in file.dependency]
    lines += [f"option {option};" for option in _options(file.options)]
    for message in file.message_type:
        lines += _message(message, syntax, 0)
    for enum in file.enum_type:
        lines += _enum(enum, 0)
    for service in file.service:
        lines += _service(service)
    return "\n".join(lines) + "\n"


def _message(message: descriptor_pb2.DescriptorProto, syntax: str, depth: int) -> list[str]:
    pad = _INDENT * depth
    inner = _INDENT * (depth + 1)
    maps = {nested.name: nested for nested in message.nested_type if nested.options.map_entry}
    lines = [f"{pad}message {message.name} {{"]
    lines += [f"{inner}option {option};" for option in _options(message.options)]
    fields = _FieldPrinter(message, syntax, maps, inner)
    # Nested messages keep their order: protoc adds a map's entry type where the map field is
    # declared, and Protobuf message indexes count the entries, so the fields declared before
    # each entry print before it.
    for nested in message.nested_type:
        if nested.name in maps:
            lines += fields.through_map(f".{message.name}.{nested.name}")
        else:
            lines += _message(nested, syntax, depth + 1)
    lines += fields.rest()
    for enum in message.enum_type:
        lines += _enum(enum, depth + 1)
    lines += _reserved(message.reserved_range, message.reserved_name, inner, exclusive_end=True)
    lines.append(f"{pad}}}")
    return lines


class _FieldPrinter:
    """A message's fields in declaration order; a oneof's block prints where its first member
    was declared."""

    def __init__(
        self,
        message: descriptor_pb2.DescriptorProto,
        syntax: str,
        maps: dict[str, descriptor_pb2.DescriptorProto],
        pad: str,
    ) -> None:
        self._message, self._syntax, self._maps, self._pad = message, syntax, maps, pad
        self._next = 0
        self._oneofs: dict[int, list[descriptor_pb2.FieldDescriptorProto]] = {}
        for field in message.field:
            if field.type == _F.TYPE_GROUP:
                raise SerializationError(f"{message.name}.{field.name}: groups are unsupported")
            if field.HasField("oneof_index") and not field.proto3_optional:
                self._oneofs.setdefault(field.oneof_index, []).append(field)
        self._printed_oneofs: set[int] = set()

    def through_map(self, entry_suffix: str) -> list[str]:
        """Every field up to the map field whose entry type name ends with `entry_suffix`."""
        lines: list[str] = []
        while self._next < len(self._message.field):
            field = self._message.field[self._next]
            lines += self._one()
            if field.type_name.endswith(entry_suffix):
                break
        return lines

    def rest(self) -> list[str]:
        lines: list[str] = []
        while self._next < len(self._message.field):
            lines += self._one()
        return lines

    def _one(self) -> list[str]:
        field = self._message.field[self._next]
        self._next += 1
        pad = self._pad
        if not field.HasField("oneof_index") or field.proto3_optional:
            return [f"{pad}{_field(field, self._syntax, self._maps)}"]
        index = field.oneof_index
        if index in self._printed_oneofs:
            return []
        self._printed_oneofs.add(index)
        members = self._oneofs[index]
        return [
            f"{pad}oneof {self._message.oneof_decl[index].name} {{",
            *(f"{pad}{_INDENT}{_field(f, self._syntax, self._maps)}" for f in members),
            f"{pad}}}",
        ]


def _field(
    field: descriptor_pb2.FieldDescriptorProto,
    syntax: str,
    maps: dict[str, descriptor_pb2.DescriptorProto],
) -> str:
    entry = maps.get(field.type_name.rsplit(".", 1)[-1]) if field.type_name else None
    if entry is not None and field.label == _F.LABEL_REPEATED:
        key, value = entry.field[0], entry.field[1]
        kind = f"map<{_type(key)}, {_type(value)}>"
        label = ""
    else:
        kind = _type(field)
        label = _label(field, syntax)
    options = []
    if field.HasField("default_value"):
        options.append(f"default = {_default(field)}")
    options += _options(field.options)
    if field.HasField("json_name") and field.json_name != _default_json_name(field.name):
        options.append(f"json_name = {json.dumps(field.json_name)}")
    suffix = f" [{', '.join(options)}]" if options else ""
    return f"{label}{kind} {field.name} = {field.number}{suffix};"


def _label(field: descriptor_pb2.FieldDescriptorProto, syntax: str) -> str:
    if field.label == _F.LABEL_REPEATED:
        return "repeated "
    if field.label == _F.LABEL_REQUIRED:
        return "required "
    if syntax == "proto2" and not field.HasField("oneof_index"):
        return "optional "
    return "optional " if field.proto3_optional else ""


def _type(field: descriptor_pb2.FieldDescriptorProto) -> str:
    if field.type in (_F.TYPE_MESSAGE, _F.TYPE_ENUM):
        return field.type_name
    return _SCALARS[field.type]


def _default(field: descriptor_pb2.FieldDescriptorProto) -> str:
    if field.type in (_F.TYPE_STRING, _F.TYPE_BYTES):
        return json.dumps(field.default_value)
    return field.default_value  # numbers, bools and enum value names print as they are


def _enum(enum: descriptor_pb2.EnumDescriptorProto, depth: int) -> list[str]:
    pad, inner = _INDENT * depth, _INDENT * (depth + 1)
    lines = [f"{pad}enum {enum.name} {{"]
    lines += [f"{inner}option {option};" for option in _options(enum.options)]
    for value in enum.value:
        options = _options(value.options)
        suffix = f" [{', '.join(options)}]" if options else ""
        lines.append(f"{inner}{value.name} = {value.number}{suffix};")
    lines += _reserved(enum.reserved_range, enum.reserved_name, inner, exclusive_end=False)
    lines.append(f"{pad}}}")
    return lines


def _reserved(
    ranges: Iterable[_MessageRange | _EnumRange],
    names: Iterable[str],
    pad: str,
    *,
    exclusive_end: bool,
) -> list[str]:
    """Message reserved ranges end exclusive in descriptors, enum ranges inclusive."""
    spans = []
    for span in ranges:
        end = span.end - 1 if exclusive_end else span.end
        spans.append(str(span.start) if end == span.start else f"{span.start} to {end}")
    lines = [f"{pad}reserved {', '.join(spans)};"] if spans else []
    quoted = [json.dumps(name) for name in names]
    return lines + ([f"{pad}reserved {', '.join(quoted)};"] if quoted else [])


def _service(service: descriptor_pb2.ServiceDescriptorProto) -> list[str]:
    lines = [f"service {service.name} {{"]
    for method in service.method:
        request = ("stream " if method.client_streaming else "") + method.input_type
        response = ("stream " if method.server_streaming else "") + method.output_type
        lines.append(f"{_INDENT}rpc {method.name} ({request}) returns ({response});")
    lines.append("}")
    return lines


def _options(options: Message) -> list[str]:
    """`name = value` of each option set with a plain value; extensions (custom options) and
    `uninterpreted_option` have no such rendering."""
    rendered = []
    for field, value in options.ListFields():
        if field.is_extension or field.is_repeated:
            continue
        if field.enum_type is not None:
            text = field.enum_type.values_by_number[value].name
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, str):
            text = json.dumps(value)
        else:
            text = str(value)
        rendered.append(f"{field.name} = {text}")
    return rendered


def _default_json_name(name: str) -> str:
    """protoc's JSON name: underscores dropped, the letter after each one upper case."""
    parts = name.split("_")
    return parts[0] + "".join(part[:1].upper() + part[1:] for part in parts[1:])
