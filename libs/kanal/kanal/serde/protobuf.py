"""Protobuf in Confluent's wire format: header, message-index path, then the message bytes.

The registered schema is the message's .proto file as text, printed from the descriptor
(proto_text.py), as Confluent's Java serializer registers it. Imported files are registered
first under their file names and referenced, except the well-known google/protobuf/* and
confluent/* types every registry knows.

Reading needs no registry: the deserializer is built for one message class and the payload is
that message (the index path in the header is read and checked for sanity only).
"""

from __future__ import annotations

from io import BytesIO
from typing import Any, cast

from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import Descriptor, FileDescriptor
from google.protobuf.message import DecodeError, Message

from kanal.errors import SerializationError
from kanal.serde import registry_steps as steps
from kanal.serde.aio_registry_client import AsyncSchemaRegistryClient
from kanal.serde.codec import Encoder, NamedSchemas, WriterSchema
from kanal.serde.proto_text import proto_text
from kanal.serde.registry_cache import RegistryCache
from kanal.serde.registry_client import SchemaRegistryClient
from kanal.serde.registry_steps import Steps
from kanal.serde.schema_types import Schema, SchemaReference
from kanal.serde.serializer import (
    AsyncDeserializer,
    AsyncSerializer,
    Deserializer,
    Serializer,
    SerializerSettings,
)
from kanal.serde.wire import decode_message_indexes, encode_message_indexes

_BUILTIN_PREFIXES = ("google/protobuf/", "confluent/")


def file_schema(file: FileDescriptor, references: tuple[SchemaReference, ...] = ()) -> Schema:
    """The file as .proto text, the form registries store and compare."""
    proto = descriptor_pb2.FileDescriptorProto.FromString(file.serialized_pb)
    return Schema(proto_text(proto), "PROTOBUF", references)


def message_indexes(message_type: type[Message]) -> list[int]:
    """The path to the message type in its file: top-level position, then nested positions
    (map entry types count, as protoc orders them)."""
    current = cast(Descriptor, message_type.DESCRIPTOR)
    path: list[int] = []
    while current.containing_type is not None:
        parent = current.containing_type
        path.append(list(parent.nested_types).index(current))
        current = parent
    top_level = list(current.file.message_types_by_name.values())
    path.append(top_level.index(current))
    return path[::-1]


class ProtobufWriterCodec:
    schema_type = "PROTOBUF"

    def __init__(self, message_type: type[Message]) -> None:
        self.message_type = message_type
        self.descriptor: Descriptor = cast(Descriptor, message_type.DESCRIPTOR)
        self._schema = file_schema(self.descriptor.file)
        self._indexes = encode_message_indexes(message_indexes(message_type))
        self._registered: Schema | None = None

    @property
    def schema(self) -> Schema:
        return self._schema

    @property
    def record_name(self) -> str | None:
        return str(self.descriptor.full_name)

    def registration(
        self, cache: RegistryCache, *, auto_register: bool, normalize: bool
    ) -> Steps[Schema]:
        if self._registered is None:
            references = yield from _dependencies(
                cache, self.descriptor.file, auto_register=auto_register, normalize=normalize
            )
            self._registered = file_schema(self.descriptor.file, references)
        return self._registered

    def encoder(self, schema: Schema, referenced: NamedSchemas) -> Encoder:
        # The message class is the schema: under use_latest_version only the id changes.
        message_type, indexes = self.message_type, self._indexes

        def encode(out: BytesIO, value: Any) -> None:
            if not isinstance(value, message_type):
                raise SerializationError(
                    f"expected a {message_type.DESCRIPTOR.full_name} message, "
                    f"got {type(value).__name__}"
                )
            out.write(indexes)
            out.write(value.SerializeToString())

        return encode


class ProtobufReaderCodec:
    needs_writer_schema = False

    def __init__(self, message_type: type[Message]) -> None:
        self.message_type = message_type

    def decode(self, payload: memoryview, writer: WriterSchema | None) -> Any:
        _indexes, start = decode_message_indexes(payload, 0)
        try:
            return self.message_type.FromString(bytes(payload[start:]))
        except (DecodeError, RecursionError) as error:
            raise SerializationError(
                f"bytes are not a {self.message_type.DESCRIPTOR.full_name} message: {error}"
            ) from None


def _dependencies(
    cache: RegistryCache, file: FileDescriptor, *, auto_register: bool, normalize: bool
) -> Steps[tuple[SchemaReference, ...]]:
    """Register (or look up) each imported file under its name; their references."""
    references = []
    for dependency in file.dependencies:
        if dependency.name.startswith(_BUILTIN_PREFIXES):
            continue
        own = yield from _dependencies(
            cache, dependency, auto_register=auto_register, normalize=normalize
        )
        schema = file_schema(dependency, own)
        if auto_register:
            yield from steps.register(cache, dependency.name, schema, normalize=normalize)
        found = yield from steps.lookup(
            cache, dependency.name, schema, normalize=normalize, deleted=False
        )
        references.append(SchemaReference(dependency.name, dependency.name, found.version))
    return tuple(references)


class ProtobufSerializer(Serializer):
    def __init__(
        self,
        client: SchemaRegistryClient,
        message_type: type[Message],
        *,
        settings: SerializerSettings | None = None,
    ) -> None:
        super().__init__(client, ProtobufWriterCodec(message_type), settings)


class ProtobufDeserializer(Deserializer):
    def __init__(
        self, message_type: type[Message], client: SchemaRegistryClient | None = None
    ) -> None:
        super().__init__(client, ProtobufReaderCodec(message_type))


class AsyncProtobufSerializer(AsyncSerializer):
    def __init__(
        self,
        client: AsyncSchemaRegistryClient,
        message_type: type[Message],
        *,
        settings: SerializerSettings | None = None,
    ) -> None:
        super().__init__(client, ProtobufWriterCodec(message_type), settings)


class AsyncProtobufDeserializer(AsyncDeserializer):
    def __init__(
        self, message_type: type[Message], client: AsyncSchemaRegistryClient | None = None
    ) -> None:
        super().__init__(client, ProtobufReaderCodec(message_type))
