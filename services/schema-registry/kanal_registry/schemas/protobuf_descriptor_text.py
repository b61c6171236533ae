"""A serialized `FileDescriptorProto` (base64, as confluent-kafka's Protobuf serializer sends
schemas) rendered as .proto text, which the registry parses, checks and stores like any text.

Type names are kept as the descriptor holds them (fully qualified, with the leading dot, which
.proto syntax accepts). Map fields come back as `map<K, V>` (their synthetic entry types
dropped), proto3 `optional` fields from their synthetic oneofs. Options with a plain value are
kept; custom (extension) options, extensions and groups are not representable here and are
refused with 42201.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Sequence

from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError, Message

from kanal_registry.errors import InvalidSchema

F = descriptor_pb2.FieldDescriptorProto
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]+")
_SCALARS = {
    F.TYPE_DOUBLE: "double", F.TYPE_FLOAT: "float", F.TYPE_INT64: "int64",
    F.TYPE_UINT64: "uint64", F.TYPE_INT32: "int32", F.TYPE_FIXED64: "fixed64",
    F.TYPE_FIXED32: "fixed32", F.TYPE_BOOL: "bool", F.TYPE_STRING: "string",
    F.TYPE_BYTES: "bytes", F.TYPE_UINT32: "uint32", F.TYPE_SFIXED32: "sfixed32",
    F.TYPE_SFIXED64: "sfixed64", F.TYPE_SINT32: "sint32", F.TYPE_SINT64: "sint64",
}  # fmt: skip


def looks_serialized(text: str) -> bool:
    """Whether a PROTOBUF schema is a base64 descriptor rather than .proto text: .proto text
    always holds a character outside base64's alphabet (`;`, a quote, a brace)."""
    return bool(text.strip()) and _BASE64.fullmatch(text) is not None


def descriptor_from_base64(text: str) -> descriptor_pb2.FileDescriptorProto:
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
        file = descriptor_pb2.FileDescriptorProto()
        file.ParseFromString(raw)
    except (binascii.Error, DecodeError, ValueError) as exc:
        raise InvalidSchema(
            f"Invalid Protobuf schema: not a serialized descriptor: {exc}") from None
    return file


def proto_text(file: descriptor_pb2.FileDescriptorProto) -> str:
    syntax = file.syntax or "proto2"
    if syntax not in ("proto2", "proto3"):
        raise InvalidSchema(f"Invalid Protobuf schema: syntax {syntax!r} in a descriptor")
    lines = [f'syntax = "{syntax}";']
    if file.package:
        lines.append(f"package {file.package};")
    for index, dependency in enumerate(file.dependency):
        kind = ("public " if index in file.public_dependency
                else "weak " if index in file.weak_dependency else "")
        lines.append(f'import {kind}"{dependency}";')
    lines += [f"option {option};" for option in _options(file.options)]
    if file.extension:
        raise InvalidSchema("Invalid Protobuf schema: extensions cannot be registered")
    renderer = _Renderer(proto3=syntax == "proto3")
    for message in file.message_type:
        lines += renderer.message(message, indent="")
    for enum in file.enum_type:
        lines += renderer.enum(enum, indent="")
    for service in file.service:
        lines += _service(service)
    return "\n".join(lines) + "\n"


class _Renderer:
    def __init__(self, *, proto3: bool) -> None:
        self._proto3 = proto3

    def message(self, message: descriptor_pb2.DescriptorProto, indent: str) -> list[str]:
        if message.extension or message.extension_range:
            raise InvalidSchema(f"Invalid Protobuf schema: {message.name} uses extensions")
        inner = indent + "  "
        entries = {n.name: n for n in message.nested_type if n.options.map_entry}
        lines = [f"{indent}message {message.name} {{"]
        lines += [f"{inner}option {option};" for option in _options(message.options)]
        fields = iter(self._fields(message, inner, entries))
        # protoc lists a map's entry type among the nested messages where the map field is
        # declared, and message indexes count those entries: each nested message prints after
        # the fields declared before it, so parsing the text back gives the same order.
        for nested in message.nested_type:
            if nested.name in entries:
                for field, rendered in fields:
                    lines += rendered
                    if field.type_name.endswith(f".{message.name}.{nested.name}"):
                        break
            else:
                lines += self.message(nested, inner)
        for _field, rendered in fields:
            lines += rendered
        for enum in message.enum_type:
            lines += self.enum(enum, inner)
        lines += _reserved(message.reserved_range, message.reserved_name, inner, inclusive=False)
        lines.append(f"{indent}}}")
        return lines

    def _fields(self, message: descriptor_pb2.DescriptorProto, inner: str,
                entries: dict[str, descriptor_pb2.DescriptorProto],
                ) -> Iterator[tuple[descriptor_pb2.FieldDescriptorProto, list[str]]]:
        """Each field with its lines; a oneof's block comes with its first member."""
        real_oneofs = {f.oneof_index for f in message.field
                       if f.HasField("oneof_index") and not f.proto3_optional}
        opened: set[int] = set()
        for field in message.field:
            if not (field.HasField("oneof_index") and field.oneof_index in real_oneofs):
                yield field, [self.field(field, inner, entries, in_oneof=False)]
                continue
            if field.oneof_index in opened:
                continue
            opened.add(field.oneof_index)
            block = [f"{inner}oneof {message.oneof_decl[field.oneof_index].name} {{"]
            block += [self.field(member, inner + "  ", entries, in_oneof=True)
                      for member in message.field
                      if member.HasField("oneof_index")
                      and member.oneof_index == field.oneof_index]
            yield field, [*block, f"{inner}}}"]

    def field(self, field: descriptor_pb2.FieldDescriptorProto, indent: str,
              entries: dict[str, descriptor_pb2.DescriptorProto], *, in_oneof: bool) -> str:
        if field.type == F.TYPE_GROUP:
            raise InvalidSchema(f"Invalid Protobuf schema: group {field.name} in a descriptor")
        entry = entries.get(field.type_name.rsplit(".", 1)[-1])
        if field.label == F.LABEL_REPEATED and entry is not None:
            key, value = sorted(entry.field, key=lambda f: f.number)
            declared = f"map<{_type(key)}, {_type(value)}> {field.name} = {field.number}"
        else:
            declared = f"{self._label(field, in_oneof)}{_type(field)} {field.name} = {field.number}"
        options = _options(field.options)
        if field.HasField("default_value"):
            options.insert(0, f"default = {_default(field)}")
        if field.HasField("json_name") and field.json_name != json_name(field.name):
            options.append(f"json_name = {_quote(field.json_name)}")
        return f"{indent}{declared}{' [' + ', '.join(options) + ']' if options else ''};"

    def _label(self, field: descriptor_pb2.FieldDescriptorProto, in_oneof: bool) -> str:
        if field.label == F.LABEL_REPEATED:
            return "repeated "
        if field.label == F.LABEL_REQUIRED:
            return "required "
        if in_oneof or (self._proto3 and not field.proto3_optional):
            return ""
        return "optional "

    def enum(self, enum: descriptor_pb2.EnumDescriptorProto, indent: str) -> list[str]:
        inner = indent + "  "
        lines = [f"{indent}enum {enum.name} {{"]
        lines += [f"{inner}option {option};" for option in _options(enum.options)]
        for value in enum.value:
            options = _options(value.options)
            suffix = f" [{', '.join(options)}]" if options else ""
            lines.append(f"{inner}{value.name} = {value.number}{suffix};")
        lines += _reserved(enum.reserved_range, enum.reserved_name, inner, inclusive=True)
        lines.append(f"{indent}}}")
        return lines


def _service(service: descriptor_pb2.ServiceDescriptorProto) -> list[str]:
    lines = [f"service {service.name} {{"]
    for method in service.method:
        streams = ("stream " if method.client_streaming else "",
                   "stream " if method.server_streaming else "")
        lines.append(f"  rpc {method.name} ({streams[0]}{method.input_type}) returns "
                     f"({streams[1]}{method.output_type});")
    lines.append("}")
    return lines


def _type(field: descriptor_pb2.FieldDescriptorProto) -> str:
    return _SCALARS.get(field.type) or field.type_name


def _reserved(ranges: Sequence[descriptor_pb2.DescriptorProto.ReservedRange]
              | Sequence[descriptor_pb2.EnumDescriptorProto.EnumReservedRange],
              names: Sequence[str], indent: str, *, inclusive: bool) -> list[str]:
    spans = []
    for span in ranges:
        last = span.end if inclusive else span.end - 1
        spans.append(str(span.start) if last == span.start else f"{span.start} to {last}")
    lines = [f"{indent}reserved {', '.join(spans)};"] if spans else []
    if names:
        lines.append(f"{indent}reserved {', '.join(_quote(n) for n in names)};")
    return lines


def _options(options: Message) -> list[str]:
    rendered = []
    for field, value in options.ListFields():
        if field.is_extension or field.is_repeated:
            continue  # custom options and uninterpreted_option have no plain rendering
        rendered.append(f"{field.name} = {_value(field, value)}")
    return rendered


def _value(field: FieldDescriptor, value: object) -> str:
    if field.type == FieldDescriptor.TYPE_ENUM:
        assert field.enum_type is not None and isinstance(value, int)
        return field.enum_type.values_by_number[value].name
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _quote(value)
    return str(value)


def _default(field: descriptor_pb2.FieldDescriptorProto) -> str:
    if field.type in (F.TYPE_STRING, F.TYPE_BYTES):
        return _quote(field.default_value)
    return field.default_value


def _quote(text: str) -> str:
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\{ord(char):03o}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def json_name(name: str) -> str:
    """protoc's default JSON name: underscores dropped, the letter after each one upper case."""
    parts = name.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])
