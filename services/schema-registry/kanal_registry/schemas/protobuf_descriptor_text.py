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
from collections.abc import Sequence

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
    """The file in Confluent's layout (`ProtobufSchemaUtils.toString`): sections separated by
    a blank line, messages before enums, options sorted by name as its normalized form sorts
    them, so that neither option order nor formatting changes the text."""
    syntax = file.syntax or "proto2"
    if syntax not in ("proto2", "proto3"):
        raise InvalidSchema(f"Invalid Protobuf schema: syntax {syntax!r} in a descriptor")
    if file.extension:
        raise InvalidSchema("Invalid Protobuf schema: extensions cannot be registered")
    head = [f'syntax = "{syntax}";'] + ([f"package {file.package};"] if file.package else [])
    imports = []
    for index, dependency in enumerate(file.dependency):
        kind = ("public " if index in file.public_dependency
                else "weak " if index in file.weak_dependency else "")
        imports.append(f'import {kind}"{dependency}";')
    renderer = _Renderer(proto3=syntax == "proto3")
    types = [line for message in file.message_type for line in renderer.message(message)]
    types += [line for enum in file.enum_type for line in renderer.enum(enum)]
    services = [line for service in file.service for line in _service(service)]
    sections = [head, imports, _option_lines(file.options), types, services]
    return "\n\n".join("\n".join(section) for section in sections if section) + "\n"


def _indented(lines: list[str]) -> list[str]:
    return ["  " + line for line in lines]


def _block(opening: str, sections: list[list[str]], *, separate: bool = True) -> list[str]:
    """`opening {`, the non-empty sections indented (a blank line between them), `}`."""
    lines = [f"{opening} {{"]
    for section in (s for s in sections if s):
        if separate and len(lines) > 1:
            lines.append("")
        lines += _indented(section)
    return [*lines, "}"]


class _Renderer:
    def __init__(self, *, proto3: bool) -> None:
        self._proto3 = proto3

    def message(self, message: descriptor_pb2.DescriptorProto) -> list[str]:
        if message.extension or message.extension_range:
            raise InvalidSchema(f"Invalid Protobuf schema: {message.name} uses extensions")
        entries = {n.name: n for n in message.nested_type if n.options.map_entry}
        plain, oneofs = self._fields(message, entries)
        # Confluent prints the fields, then the oneofs, then the nested types. Message indexes
        # count each map field's entry type among the nested messages, where protoc declared
        # it: a nested message declared before a map field therefore prints before that field
        # (after the fields declared earlier), so parsing the text back gives protoc's order.
        body: list[str] = []
        pending: list[descriptor_pb2.DescriptorProto] = []
        for nested in message.nested_type:
            if nested.name not in entries:
                pending.append(nested)
                continue
            if not pending:
                continue
            while plain and not plain[0][0].type_name.endswith(f".{message.name}.{nested.name}"):
                body += plain.pop(0)[1]
            body += [line for done in pending for line in self.message(done)]
            pending = []
        body += [line for _field, lines in plain for line in lines]
        nested_types = [line for done in pending for line in self.message(done)]
        nested_types += [line for enum in message.enum_type for line in self.enum(enum)]
        reserved = _reserved(message.reserved_range, message.reserved_name, inclusive=False)
        return _block(f"message {message.name}", [
            reserved, _option_lines(message.options), body, oneofs, nested_types])

    def _fields(self, message: descriptor_pb2.DescriptorProto,
                entries: dict[str, descriptor_pb2.DescriptorProto],
                ) -> tuple[list[tuple[descriptor_pb2.FieldDescriptorProto, list[str]]],
                           list[str]]:
        """The plain fields, each with its lines, and the lines of the (real) oneofs."""
        real_oneofs = {f.oneof_index for f in message.field
                       if f.HasField("oneof_index") and not f.proto3_optional}
        plain = [(field, self.field(field, entries, in_oneof=False)) for field in message.field
                 if not (field.HasField("oneof_index") and field.oneof_index in real_oneofs)]
        oneofs: list[str] = []
        for index in sorted(real_oneofs):
            members = [line for member in message.field
                       if member.HasField("oneof_index") and member.oneof_index == index
                       for line in self.field(member, entries, in_oneof=True)]
            oneofs += _block(f"oneof {message.oneof_decl[index].name}", [
                _option_lines(message.oneof_decl[index].options), members])
        return plain, oneofs

    def field(self, field: descriptor_pb2.FieldDescriptorProto,
              entries: dict[str, descriptor_pb2.DescriptorProto], *, in_oneof: bool
              ) -> list[str]:
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
            options.append(f"default = {_default(field)}")
        if field.HasField("json_name") and field.json_name != json_name(field.name):
            options.append(f"json_name = {_quote(field.json_name)}")
        return _with_options(declared, options)

    def _label(self, field: descriptor_pb2.FieldDescriptorProto, in_oneof: bool) -> str:
        if field.label == F.LABEL_REPEATED:
            return "repeated "
        if field.label == F.LABEL_REQUIRED:
            return "required "
        if in_oneof or (self._proto3 and not field.proto3_optional):
            return ""
        return "optional "

    def enum(self, enum: descriptor_pb2.EnumDescriptorProto) -> list[str]:
        values = [line for value in enum.value for line in _with_options(
            f"{value.name} = {value.number}", _options(value.options))]
        reserved = _reserved(enum.reserved_range, enum.reserved_name, inclusive=True)
        return _block(f"enum {enum.name}", [_option_lines(enum.options) + values, reserved])


def _with_options(declared: str, options: list[str]) -> list[str]:
    """A field or enum value: one option inline, several one a line (Confluent's layout)."""
    options.sort()
    if len(options) <= 1:
        return [f"{declared}{' [' + options[0] + ']' if options else ''};"]
    listed = [f"  {option}," for option in options]
    listed[-1] = listed[-1].rstrip(",")
    return [f"{declared} [", *listed, "];"]


def _option_lines(options: Message) -> list[str]:
    return [f"option {option};" for option in sorted(_options(options))]


def _service(service: descriptor_pb2.ServiceDescriptorProto) -> list[str]:
    rpcs = []
    for method in service.method:
        streams = ("stream " if method.client_streaming else "",
                   "stream " if method.server_streaming else "")
        rpcs.append(f"rpc {method.name} ({streams[0]}{method.input_type}) returns "
                    f"({streams[1]}{method.output_type});")
    return _block(f"service {service.name}", [_option_lines(service.options), rpcs])


def _type(field: descriptor_pb2.FieldDescriptorProto) -> str:
    return _SCALARS.get(field.type) or field.type_name


def _reserved(ranges: Sequence[descriptor_pb2.DescriptorProto.ReservedRange]
              | Sequence[descriptor_pb2.EnumDescriptorProto.EnumReservedRange],
              names: Sequence[str], *, inclusive: bool) -> list[str]:
    spans = []
    for span in ranges:
        last = span.end if inclusive else span.end - 1
        spans.append(str(span.start) if last == span.start else f"{span.start} to {last}")
    lines = [f"reserved {', '.join(spans)};"] if spans else []
    if names:
        lines.append(f"reserved {', '.join(_quote(n) for n in names)};")
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
