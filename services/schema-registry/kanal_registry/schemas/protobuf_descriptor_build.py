"""A parsed .proto file as the `FileDescriptorProto` protoc would build, base64-encoded: what
Confluent answers for `format=serialized`, which confluent-kafka's Protobuf deserializer asks
for and loads into a descriptor pool.

Field types come from the checked model, already resolved to full names (written here with the
leading dot, as protoc writes them); map fields get their synthetic `<Field>Entry` types and
proto3 `optional` fields their synthetic oneofs, as protoc makes them. Options with a plain
value are carried over; custom options are left out (they only annotate). Groups are refused.
"""

from __future__ import annotations

import base64
from collections.abc import MutableSequence, Sequence

from google.protobuf import descriptor_pb2
from google.protobuf.message import Message
from proto_schema_parser import ast

from kanal_registry.errors import InvalidSchema
from kanal_registry.schemas.protobuf_descriptor_text import json_name
from kanal_registry.schemas.protobuf_model import (
    MAX_FIELD_NUMBER,
    FieldKind,
    ProtoField,
    ProtoFile,
)

F = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    "double": F.TYPE_DOUBLE, "float": F.TYPE_FLOAT, "int64": F.TYPE_INT64,
    "uint64": F.TYPE_UINT64, "int32": F.TYPE_INT32, "fixed64": F.TYPE_FIXED64,
    "fixed32": F.TYPE_FIXED32, "bool": F.TYPE_BOOL, "string": F.TYPE_STRING,
    "bytes": F.TYPE_BYTES, "uint32": F.TYPE_UINT32, "sfixed32": F.TYPE_SFIXED32,
    "sfixed64": F.TYPE_SFIXED64, "sint32": F.TYPE_SINT32, "sint64": F.TYPE_SINT64,
}  # fmt: skip
_LABELS = {"repeated": F.LABEL_REPEATED, "required": F.LABEL_REQUIRED}


def serialized_descriptor(tree: ast.File, model: ProtoFile, *, name: str = "default") -> str:
    descriptor = file_descriptor(tree, model, name=name)
    return base64.standard_b64encode(descriptor.SerializeToString()).decode("ascii")


def file_descriptor(tree: ast.File, model: ProtoFile, *, name: str = "default"
                    ) -> descriptor_pb2.FileDescriptorProto:
    file = descriptor_pb2.FileDescriptorProto(name=name, package=model.package or None)
    if model.syntax == "proto3":
        file.syntax = "proto3"
    for element in tree.file_elements:
        if isinstance(element, ast.Import):
            if element.public:
                file.public_dependency.append(len(file.dependency))
            if element.weak:
                file.weak_dependency.append(len(file.dependency))
            file.dependency.append(element.name.strip("\"'"))
        elif isinstance(element, ast.Option):
            _set_option(file.options, element)
        elif isinstance(element, ast.Message):
            file.message_type.append(_Builder(model).message(element, model.package))
        elif isinstance(element, ast.Enum):
            file.enum_type.append(_enum(element))
        elif isinstance(element, ast.Service):
            file.service.append(_service(element, model))
    return file


class _Builder:
    def __init__(self, model: ProtoFile) -> None:
        self._model = model

    def message(self, element: ast.Message, scope: str) -> descriptor_pb2.DescriptorProto:
        full = f"{scope}.{element.name}" if scope else element.name
        checked = self._model.messages[full]
        built = descriptor_pb2.DescriptorProto(name=element.name)
        optionals: list[descriptor_pb2.FieldDescriptorProto] = []
        for item in element.elements:
            if isinstance(item, ast.Field | ast.MapField):
                field = self._field(built, checked.fields[item.number], item, full)
                if checked.fields[item.number].label == "optional" and self._proto3:
                    optionals.append(field)
            elif isinstance(item, ast.OneOf):
                index = len(built.oneof_decl)
                built.oneof_decl.add(name=item.name)
                for member in item.elements:
                    if isinstance(member, ast.Field):
                        field = self._field(built, checked.fields[member.number], member, full)
                        field.oneof_index = index
                    elif isinstance(member, ast.Group):
                        raise _group(member.name)
            elif isinstance(item, ast.Group):
                raise _group(item.name)
            elif isinstance(item, ast.Message):
                built.nested_type.append(self.message(item, full))
            elif isinstance(item, ast.Enum):
                built.enum_type.append(_enum(item))
            elif isinstance(item, ast.Reserved):
                _reserve(built.reserved_range, built.reserved_name, item, exclusive_end=True)
            elif isinstance(item, ast.Option):
                _set_option(built.options, item)
        # protoc puts the synthetic oneof of each proto3 `optional` field after the real ones.
        for field in optionals:
            field.proto3_optional = True
            field.oneof_index = len(built.oneof_decl)
            built.oneof_decl.add(name=f"_{field.name}")
        return built

    @property
    def _proto3(self) -> bool:
        return self._model.syntax == "proto3"

    def _field(self, message: descriptor_pb2.DescriptorProto, checked: ProtoField,
               element: ast.Field | ast.MapField, scope: str
               ) -> descriptor_pb2.FieldDescriptorProto:
        field = message.field.add(name=checked.name, number=checked.number,
                                  json_name=json_name(checked.name),
                                  label=_LABELS.get(checked.label, F.LABEL_OPTIONAL))
        if checked.kind is FieldKind.MAP:
            assert isinstance(element, ast.MapField)
            entry = message.nested_type.add(name=_entry_name(checked.name))
            entry.options.map_entry = True
            key, value = checked.type_name[len("map<"):-1].split(",", 1)
            self._typed(entry.field.add(name="key", number=1, json_name="key",
                                        label=F.LABEL_OPTIONAL), key, None)
            self._typed(entry.field.add(name="value", number=2, json_name="value",
                                        label=F.LABEL_OPTIONAL), value, None)
            field.type, field.type_name = F.TYPE_MESSAGE, f".{scope}.{entry.name}"
        else:
            self._typed(field, checked.type_name, checked.kind)
        for option in element.options:
            if option.name == "default":
                field.default_value = _literal(option.value)
            elif option.name != "json_name":
                _set_option(field.options, option)
            elif isinstance(option.value, str):
                field.json_name = option.value
        return field

    def _typed(self, field: descriptor_pb2.FieldDescriptorProto, type_name: str,
               kind: FieldKind | None) -> None:
        """`kind` None: a map's value, whose kind the model keeps only in its name."""
        if type_name in _SCALARS:
            field.type = _SCALARS[type_name]
            return
        field.type_name = f".{type_name}"
        is_enum = kind is FieldKind.ENUM or (kind is None and (
            type_name in self._model.visible_enums or type_name == "google.protobuf.NullValue"))
        field.type = F.TYPE_ENUM if is_enum else F.TYPE_MESSAGE


def _entry_name(field_name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in field_name.split("_")) + "Entry"


def _enum(element: ast.Enum) -> descriptor_pb2.EnumDescriptorProto:
    built = descriptor_pb2.EnumDescriptorProto(name=element.name)
    for item in element.elements:
        if isinstance(item, ast.EnumValue):
            value = built.value.add(name=item.name, number=item.number)
            for option in item.options:
                _set_option(value.options, option)
        elif isinstance(item, ast.Option):
            _set_option(built.options, item)
        elif isinstance(item, ast.EnumReserved):
            _reserve(built.reserved_range, built.reserved_name, item, exclusive_end=False)
    return built


def _service(element: ast.Service, model: ProtoFile) -> descriptor_pb2.ServiceDescriptorProto:
    built = descriptor_pb2.ServiceDescriptorProto(name=element.name)
    for item in element.elements:
        if isinstance(item, ast.Method):
            built.method.add(
                name=item.name,
                input_type=_service_type(item.input_type.type, model),
                output_type=_service_type(item.output_type.type, model),
                client_streaming=item.input_type.stream or None,
                server_streaming=item.output_type.stream or None,
            )
    return built


def _service_type(written: str, model: ProtoFile) -> str:
    if written.startswith("."):
        return written
    scoped = f"{model.package}.{written}" if model.package else written
    return f".{scoped}" if scoped in model.messages else f".{written}"


def _reserve(ranges: Sequence[object], names: MutableSequence[str], element: object, *,
             exclusive_end: bool) -> None:
    assert isinstance(element, ast.Reserved | ast.EnumReserved)
    for text in element.ranges:
        low, _, high = str(text).partition(" to ")
        top = MAX_FIELD_NUMBER if high.strip() == "max" else int(high or low, 0)
        ranges.add(start=int(low, 0), end=top + 1 if exclusive_end else top)  # type: ignore[attr-defined]
    names.extend(name.strip("\"'") for name in element.names)


def _set_option(options: Message, option: ast.Option) -> None:
    """Set a plain option by name; custom `(ext)` options and unknown names are left out."""
    field = options.DESCRIPTOR.fields_by_name.get(option.name)
    if field is None:
        return
    value = option.value
    if isinstance(value, ast.Identifier):
        enum_type = field.enum_type
        if enum_type is None or value.name not in enum_type.values_by_name:
            return
        value = enum_type.values_by_name[value.name].number
    try:
        setattr(options, option.name, value)
    except (TypeError, ValueError):
        raise InvalidSchema(
            f"Invalid Protobuf schema: option {option.name} = {value!r}") from None


def _literal(value: object) -> str:
    if isinstance(value, ast.Identifier):
        return value.name
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _group(name: str) -> InvalidSchema:
    return InvalidSchema(f"Invalid Protobuf schema: group {name} has no serialized form here")
