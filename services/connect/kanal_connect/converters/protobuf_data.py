"""Connect schemas to .proto files, as Confluent's `ProtobufData.fromConnectSchema` maps them
(the way back is protobuf_schema_reader).

Writing: the root schema must be a STRUCT; it becomes a proto3 message named after the
schema's name (package = its namespace; `ConnectDefault1` when unnamed). Each field is numbered
by its `io.confluent.connect.protobuf.Tag` parameter, else by position (1, 2, ...):

    INT8/INT16/INT32 int32   INT64 int64   FLOAT32 float   FLOAT64 double   BOOLEAN bool
    STRING string (an `...protobuf.Enum` one: an enum)   BYTES bytes   ARRAY repeated
    MAP    map<k, v> (a repeated `<Field>Entry` message when k cannot be a map key)
    STRUCT a nested message named after the struct (`Message` appended on a clash with the
           field name); a `...protobuf.Union.<name>` struct is a oneof
    Decimal confluent.type.Decimal   Date google.type.Date   Time google.type.TimeOfDay
    Timestamp google.protobuf.Timestamp

Optional primitives are plain proto3 fields unless `wrapper.for.nullables` asks for the
google.protobuf wrapper messages. Confluent also records int8/int16 widths and a Decimal's
scale in `(confluent.field_meta)` field options; kanal.serde's proto_text prints no custom
options, so those read back as INT32 and as the scale each Decimal message carries.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import (
    Descriptor,
    EnumDescriptor,
    FieldDescriptor,
)

from kanal_connect.data import logical
from kanal_connect.data.schema import Field, Schema, SchemaType
from kanal_connect.errors import DataException

NAMESPACE = "io.confluent.connect.protobuf"
TAG_PARAMETER = NAMESPACE + ".Tag"
ENUM_PARAMETER = NAMESPACE + ".Enum"
UNION_PREFIX = NAMESPACE + ".Union."
DEFAULT_NAME = "ConnectDefault"

_F = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    SchemaType.INT8: _F.TYPE_INT32, SchemaType.INT16: _F.TYPE_INT32,
    SchemaType.INT32: _F.TYPE_INT32, SchemaType.INT64: _F.TYPE_INT64,
    SchemaType.FLOAT32: _F.TYPE_FLOAT, SchemaType.FLOAT64: _F.TYPE_DOUBLE,
    SchemaType.BOOLEAN: _F.TYPE_BOOL, SchemaType.STRING: _F.TYPE_STRING,
    SchemaType.BYTES: _F.TYPE_BYTES,
}  # fmt: skip
WRAPPERS = {
    SchemaType.INT8: "Int32Value", SchemaType.INT16: "Int32Value",
    SchemaType.INT32: "Int32Value", SchemaType.INT64: "Int64Value",
    SchemaType.FLOAT32: "FloatValue", SchemaType.FLOAT64: "DoubleValue",
    SchemaType.BOOLEAN: "BoolValue", SchemaType.STRING: "StringValue",
    SchemaType.BYTES: "BytesValue",
}  # fmt: skip
WRAPPERS_FILE = "google/protobuf/wrappers.proto"
# Logical type -> (message full name, the file declaring it).
LOGICAL_MESSAGES = {
    logical.DECIMAL_NAME: ("confluent.type.Decimal", "confluent/type/decimal.proto"),
    logical.DATE_NAME: ("google.type.Date", "google/type/date.proto"),
    logical.TIME_NAME: ("google.type.TimeOfDay", "google/type/timeofday.proto"),
    logical.TIMESTAMP_NAME: ("google.protobuf.Timestamp", "google/protobuf/timestamp.proto"),
}
_MAP_KEY_TYPES = (_F.TYPE_INT32, _F.TYPE_INT64, _F.TYPE_STRING, _F.TYPE_BOOL)


@dataclass(frozen=True, slots=True)
class ProtoSchema:
    """A Connect schema as a .proto file: the file and the full name of its root message."""

    file: descriptor_pb2.FileDescriptorProto
    message_name: str


def proto_file(schema: Schema, *, wrap_nullables: bool = False) -> ProtoSchema:
    """The .proto file for a STRUCT schema (Confluent's `fromConnectSchema`)."""
    if schema.type is not SchemaType.STRUCT:
        raise DataException(f"Unsupported root schema of type {schema.type.name}")
    package, name = split_name(schema.name or DEFAULT_NAME + "1")
    file = descriptor_pb2.FileDescriptorProto(name="connect.proto", syntax="proto3")
    if package:
        file.package = package
    # Unnamed structs take ConnectDefault<n> names, counting the root's own as 1 (as Java).
    writer = _Writer(file, wrap_nullables, _unnamed=0 if schema.name else 1)
    root = file.message_type.add(name=name)
    writer.message(root, f".{package}.{name}" if package else f".{name}", schema)
    file.dependency.extend(sorted(writer.dependencies))
    return ProtoSchema(file, f"{package}.{name}" if package else name)


def split_name(full_name: str) -> tuple[str, str]:
    package, _, name = full_name.rpartition(".")
    return package, name


@dataclass
class _Writer:
    file: descriptor_pb2.FileDescriptorProto
    wrap_nullables: bool
    dependencies: set[str] = field(default_factory=set)
    _nested: dict[str, Schema] = field(default_factory=dict)
    _unnamed: int = 1

    def message(self, target: descriptor_pb2.DescriptorProto, scope: str, schema: Schema) -> None:
        position = 1
        for connect_field in schema.fields:
            tag = _tag(connect_field.schema)
            if tag is None:
                tag, position = position, position + 1
            self._field(target, scope, connect_field, tag)

    def _field(
        self, target: descriptor_pb2.DescriptorProto, scope: str, connect_field: Field, tag: int
    ) -> None:
        schema, name = connect_field.schema, connect_field.name
        if schema.type is SchemaType.STRUCT and (schema.name or "").startswith(UNION_PREFIX):
            self._oneof(target, scope, schema)
            return
        proto = target.field.add(name=name, number=tag, label=_F.LABEL_OPTIONAL)
        if schema.type is SchemaType.ARRAY:
            assert schema.value_schema is not None
            if schema.value_schema.type in (SchemaType.ARRAY, SchemaType.MAP):
                raise DataException(f"{name}: arrays of arrays or maps have no .proto form")
            proto.label = _F.LABEL_REPEATED
            schema = schema.value_schema
        self._type(proto, target, scope, schema, name)

    def _type(
        self,
        proto: descriptor_pb2.FieldDescriptorProto,
        target: descriptor_pb2.DescriptorProto,
        scope: str,
        schema: Schema,
        field_name: str,
    ) -> None:
        if schema.name in LOGICAL_MESSAGES:
            message, file_name = LOGICAL_MESSAGES[schema.name]
            self.dependencies.add(file_name)
            proto.type, proto.type_name = _F.TYPE_MESSAGE, "." + message
        elif schema.type is SchemaType.STRING and ENUM_PARAMETER in (schema.parameters or {}):
            enum_name = self._enum(target, schema)
            proto.type, proto.type_name = _F.TYPE_ENUM, f"{scope}.{enum_name}"
        elif schema.type is SchemaType.MAP:
            entry = self._map_entry(target, scope, schema, field_name)
            proto.label = _F.LABEL_REPEATED
            proto.type, proto.type_name = _F.TYPE_MESSAGE, f"{scope}.{entry}"
        elif schema.type is SchemaType.STRUCT:
            nested = self._nested_message(target, scope, schema, field_name)
            proto.type, proto.type_name = _F.TYPE_MESSAGE, f"{scope}.{nested}"
        elif schema.type is SchemaType.ARRAY:
            raise DataException(f"{field_name}: an array cannot be nested here")
        elif self.wrap_nullables and schema.optional:
            self.dependencies.add(WRAPPERS_FILE)
            proto.type = _F.TYPE_MESSAGE
            proto.type_name = ".google.protobuf." + WRAPPERS[schema.type]
        else:
            proto.type = _SCALARS[schema.type]

    def _nested_message(
        self, target: descriptor_pb2.DescriptorProto, scope: str, schema: Schema, field_name: str
    ) -> str:
        """The nested type for a struct: one per distinct struct in a scope, so two fields of
        the same struct share it, and a differently shaped struct of the same name gets a
        numbered name instead of the other's type."""
        shape = schema.with_optional(False)
        base = nested = self._nested_name(schema, field_name)
        for suffix in itertools.count(2):
            known = self._nested.get(f"{scope}.{nested}")
            if known == shape:
                return nested
            if known is None and not any(m.name == nested for m in target.nested_type):
                self._nested[f"{scope}.{nested}"] = shape
                self.message(target.nested_type.add(name=nested), f"{scope}.{nested}", schema)
                return nested
            nested = f"{base}{suffix}"
        raise AssertionError("unreachable")  # pragma: no cover

    def _nested_name(self, schema: Schema, field_name: str) -> str:
        if schema.name:
            name = split_name(schema.name)[1]
        else:
            self._unnamed += 1
            name = f"{DEFAULT_NAME}{self._unnamed}"
        return name + "Message" if name == field_name else name

    def _map_entry(
        self, target: descriptor_pb2.DescriptorProto, scope: str, schema: Schema, field_name: str
    ) -> str:
        assert schema.key_schema is not None and schema.value_schema is not None
        name = map_entry_name(field_name)
        entry = target.nested_type.add(name=name)
        entry_scope = f"{scope}.{name}"
        self._field(entry, entry_scope, Field("key", 0, schema.key_schema), 1)
        self._field(entry, entry_scope, Field("value", 1, schema.value_schema), 2)
        key, value = entry.field[0], entry.field[1]
        # protoc's map<k, v> is this entry type marked map_entry; keys must be integral,
        # bool or string, and neither side repeated. Other maps stay plain entry lists.
        if (
            key.type in _MAP_KEY_TYPES
            and _F.LABEL_REPEATED not in (key.label, value.label)
            and not entry.nested_type
        ):
            entry.options.map_entry = True  # set only when true: protoc refuses it explicit
        return name

    def _enum(self, target: descriptor_pb2.DescriptorProto, schema: Schema) -> str:
        parameters = schema.parameters or {}
        name = split_name(parameters[ENUM_PARAMETER] or schema.name or "Enum")[1]
        if not any(e.name == name for e in target.enum_type):
            enum = target.enum_type.add(name=name)
            prefix = ENUM_PARAMETER + "."
            for key, number in parameters.items():
                if key.startswith(prefix):
                    enum.value.add(name=key[len(prefix):], number=_int(number, key))
        return name

    def _oneof(self, target: descriptor_pb2.DescriptorProto, scope: str, schema: Schema) -> None:
        assert schema.name is not None
        index = len(target.oneof_decl)
        target.oneof_decl.add(name=split_name(schema.name[len(UNION_PREFIX):])[1])
        for member in schema.fields:
            tag = _tag(member.schema)
            if tag is None:
                raise DataException(f"oneof member {member.name} needs a {TAG_PARAMETER}")
            self._field(target, scope, member, tag)
            target.field[-1].oneof_index = index


def map_entry_name(field_name: str) -> str:
    """protoc's entry type name for a map field: CamelCase of the field name + "Entry"."""
    parts = field_name.split("_")
    return "".join(p[:1].upper() + p[1:] for p in parts if p) + "Entry"


def _tag(schema: Schema) -> int | None:
    text = (schema.parameters or {}).get(TAG_PARAMETER)
    return None if text is None else _int(text, TAG_PARAMETER)


def _int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise DataException(f"{what}: {text!r} is not a number") from None


def message_type_of(proto: FieldDescriptor) -> Descriptor:
    if proto.message_type is None:
        raise DataException(f"{proto.full_name} is not a message field")
    return proto.message_type


def enum_type_of(proto: FieldDescriptor) -> EnumDescriptor:
    if proto.enum_type is None:
        raise DataException(f"{proto.full_name} is not an enum field")
    return proto.enum_type


def field_named(message: Descriptor, name: str) -> FieldDescriptor | None:
    return message.fields_by_name.get(name)
