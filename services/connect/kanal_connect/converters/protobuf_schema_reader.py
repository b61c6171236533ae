"""Protobuf message types to Connect schemas, as Confluent's `ProtobufData.toConnectSchema`.

Every field becomes optional (proto3 cannot tell a missing scalar from its zero value) and
carries its field number as the `io.confluent.connect.protobuf.Tag` parameter; a message is a
STRUCT named after the message (without package), a oneof a `...protobuf.Union.<name>` STRUCT
field named `<oneof>_<index>`, an enum a STRING with `...protobuf.Enum` parameters, a
`<Name>Entry` type with key and value fields a MAP, and the well-known logical messages their
Connect logical types. With `wrapper.for.nullables`, google.protobuf wrappers read as optional
primitives and plain scalars as required ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from google.protobuf.descriptor import Descriptor, FieldDescriptor, OneofDescriptor

from kanal_connect.converters.protobuf_data import (
    ENUM_PARAMETER,
    LOGICAL_MESSAGES,
    TAG_PARAMETER,
    UNION_PREFIX,
    WRAPPERS,
    WRAPPERS_FILE,
    enum_type_of,
    message_type_of,
)
from kanal_connect.data import logical
from kanal_connect.data.schema import Field, Schema, SchemaType
from kanal_connect.errors import DataException

_LOGICAL_BY_MESSAGE = {message: name for name, (message, _) in LOGICAL_MESSAGES.items()}


def connect_schema(descriptor: Descriptor, *, wrap_nullables: bool = False) -> Schema:
    """The Connect schema of a message type (Confluent's `toConnectSchema`)."""
    return _Reader(wrap_nullables).struct(descriptor, frozenset())


@dataclass(frozen=True, slots=True)
class _Reader:
    wrap_nullables: bool

    def struct(self, descriptor: Descriptor, seen: frozenset[str]) -> Schema:
        if descriptor.full_name in seen:
            raise DataException(f"{descriptor.full_name} is recursive: no Connect schema")
        seen = seen | {descriptor.full_name}
        fields: list[tuple[str, Schema]] = []
        for oneof in descriptor.oneofs:
            if not is_synthetic(oneof):
                members = [(f.name, self.field(f, seen)) for f in oneof.fields]
                union = _struct(members, name=UNION_PREFIX + oneof.name, optional=True)
                fields.append((f"{oneof.name}_{oneof.index}", union))
        for proto in descriptor.fields:
            if proto.containing_oneof is None or is_synthetic(proto.containing_oneof):
                fields.append((proto.name, self.field(proto, seen)))
        return _struct(fields, name=descriptor.name, optional=False)

    def field(self, proto: FieldDescriptor, seen: frozenset[str]) -> Schema:
        schema = self._element(proto, seen)
        if proto.is_repeated and schema.type is not SchemaType.MAP:
            schema = Schema(SchemaType.ARRAY, value_schema=schema.with_optional(True))
        if not self.wrap_nullables or proto.is_repeated:
            schema = schema.with_optional(True)
        parameters = dict(schema.parameters or {}) | {TAG_PARAMETER: str(proto.number)}
        return _with_parameters(schema, parameters)

    def _element(self, proto: FieldDescriptor, seen: frozenset[str]) -> Schema:
        if proto.type == FieldDescriptor.TYPE_ENUM:
            enum = enum_type_of(proto)
            parameters = {ENUM_PARAMETER: enum.name} | {
                f"{ENUM_PARAMETER}.{v.name}": str(v.number) for v in enum.values
            }
            return Schema(SchemaType.STRING, optional=True, name=enum.name, parameters=parameters)
        if proto.type != FieldDescriptor.TYPE_MESSAGE:
            return Schema(_scalar_type(proto))
        message = message_type_of(proto)
        logical_name = _LOGICAL_BY_MESSAGE.get(message.full_name)
        if logical_name is not None:
            return _logical(logical_name).with_optional(True)
        if is_map_entry(message):
            key, value = message.fields
            return Schema(SchemaType.MAP, optional=True, name=map_field_name(message.name),
                          key_schema=self.field(key, seen), value_schema=self.field(value, seen))
        wrapped = unwrapped_type(message) if self.wrap_nullables else None
        if wrapped is not None:
            return Schema(wrapped, optional=True)
        return self.struct(message, seen).with_optional(True)


def is_synthetic(oneof: OneofDescriptor) -> bool:
    """proto3 `optional` fields sit in a synthetic oneof named after them with a leading _."""
    fields = list(oneof.fields)
    return len(fields) == 1 and oneof.name == "_" + fields[0].name


def is_map_entry(message: Descriptor) -> bool:
    """Confluent's test: an `...Entry` type with exactly the fields key and value."""
    names = [f.name for f in message.fields]
    return message.name.endswith("Entry") and names == ["key", "value"]


def map_field_name(entry_name: str) -> str:
    base = entry_name.removesuffix("Entry")
    return base[:1].lower() + base[1:]


def unwrapped_type(message: Descriptor) -> SchemaType | None:
    """The primitive a google.protobuf wrapper message stands for."""
    if message.file.name != WRAPPERS_FILE:
        return None
    unsigned = {"UInt32Value": SchemaType.INT64, "UInt64Value": SchemaType.INT64}
    by_name = {name: kind for kind, name in WRAPPERS.items() if kind not in _NARROW} | unsigned
    return by_name.get(message.name)


_NARROW = (SchemaType.INT8, SchemaType.INT16)
_LOGICAL_SCHEMAS: dict[str, Callable[[], Schema]] = {
    logical.DECIMAL_NAME: lambda: logical.decimal_schema(0),
    logical.DATE_NAME: logical.date_schema,
    logical.TIME_NAME: logical.time_schema,
    logical.TIMESTAMP_NAME: logical.timestamp_schema,
}


def _logical(name: str) -> Schema:
    return _LOGICAL_SCHEMAS[name]()


def _scalar_type(proto: FieldDescriptor) -> SchemaType:
    kind = proto.type
    if kind in (FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_SINT32,
                FieldDescriptor.TYPE_SFIXED32):
        return SchemaType.INT32
    if kind in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE):
        return SchemaType.FLOAT32 if kind == FieldDescriptor.TYPE_FLOAT else SchemaType.FLOAT64
    if kind == FieldDescriptor.TYPE_BOOL:
        return SchemaType.BOOLEAN
    if kind in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES):
        return SchemaType.STRING if kind == FieldDescriptor.TYPE_STRING else SchemaType.BYTES
    if kind == FieldDescriptor.TYPE_GROUP:
        raise DataException(f"{proto.full_name}: groups are not supported")
    return SchemaType.INT64  # int64, uint32, uint64, fixed*, sint64, sfixed64


def _struct(fields: list[tuple[str, Schema]], *, name: str, optional: bool) -> Schema:
    built = tuple(Field(n, i, s) for i, (n, s) in enumerate(fields))
    return Schema(SchemaType.STRUCT, optional=optional, name=name, fields=built)


def _with_parameters(schema: Schema, parameters: dict[str, str]) -> Schema:
    return schema.with_metadata(name=schema.name, version=schema.version, doc=schema.doc,
                                parameters=parameters)
