"""Confluent's `io.confluent.connect.protobuf.ProtobufConverter`: Connect structs as Protobuf
messages whose .proto schema lives in the schema registry (schemaType PROTOBUF).

    record bytes = 0x00 | schema id (4 bytes, big-endian)
                 | message indexes (zigzag varints; a single 0 for the first message)
                 | the message's Protobuf bytes

Writing maps the Connect schema to a .proto file (protobuf_data), prints it (kanal.serde's
proto_text) and registers it; the google/type and confluent imports it may need are registered
first under their file names and referenced. Reading compiles the registered text with protoc
(protobuf_compile), picks the message the indexes name and maps it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from google.protobuf.descriptor import Descriptor
from kanal.serde.proto_text import proto_text
from kanal.serde.schema_types import Schema as RegistrySchema
from kanal.serde.wire import decode_message_indexes, encode_message_indexes

from kanal_connect.config.definition import ConfigDef, ConfigType, Importance
from kanal_connect.converters.base import SchemaAndValue
from kanal_connect.converters.protobuf_compile import (
    BUILT_IN_SOURCES,
    CompiledSchema,
    compile_schema,
    message_indexes,
)
from kanal_connect.converters.protobuf_data import proto_file
from kanal_connect.converters.protobuf_schema_reader import connect_schema
from kanal_connect.converters.protobuf_values import fill_message, struct_from_message
from kanal_connect.converters.registry_base import RegistryConverter, WriterSchema
from kanal_connect.data.schema import Schema
from kanal_connect.data.validation import validate_value
from kanal_connect.errors import DataException

WRAPPER_FOR_NULLABLES_CONFIG = "wrapper.for.nullables"


@dataclass
class ProtobufParsed:
    """A compiled registry schema; `root` is the message written (the file's first, or the
    one our mapping made), and Connect schemas are made once per message type read."""

    compiled: CompiledSchema
    root: Descriptor
    wrap_nullables: bool
    _connect: dict[str, Schema] = field(default_factory=dict)

    def connect_schema(self, descriptor: Descriptor) -> Schema:
        found = self._connect.get(descriptor.full_name)
        if found is None:
            found = connect_schema(descriptor, wrap_nullables=self.wrap_nullables)
            self._connect[descriptor.full_name] = found
        return found


class ProtobufConverter(RegistryConverter[ProtobufParsed]):
    schema_type = "PROTOBUF"

    def __init__(self) -> None:
        super().__init__()
        self.wrap_nullables = False

    def format_config_def(self, config_def: ConfigDef) -> ConfigDef:
        return config_def.define(
            WRAPPER_FOR_NULLABLES_CONFIG, ConfigType.BOOLEAN, False, Importance.MEDIUM,
            "Write optional primitives as google.protobuf wrapper messages (and read "
            "wrappers back as optional primitives).",
        )  # fmt: skip

    def configure_format(self, parsed: Mapping[str, object]) -> None:
        self.wrap_nullables = bool(parsed[WRAPPER_FOR_NULLABLES_CONFIG])

    def writer_schema(self, schema: Schema | None) -> WriterSchema[ProtobufParsed]:
        if schema is None:
            raise DataException("The Protobuf converter needs a schema for non-null values")
        mapped = proto_file(schema, wrap_nullables=self.wrap_nullables)
        text = proto_text(mapped.file)
        compiled = compile_schema(text)
        parsed = ProtobufParsed(
            compiled, compiled.descriptor_named(mapped.message_name), self.wrap_nullables
        )
        # Confluent's registry knows these imports; ours (and any) accepts them as references.
        dependencies = tuple(
            (name, RegistrySchema(BUILT_IN_SOURCES[name], "PROTOBUF"))
            for name in mapped.file.dependency
            if name in BUILT_IN_SOURCES
        )
        return WriterSchema(
            RegistrySchema(text, "PROTOBUF"),
            parsed,
            record_name=mapped.message_name,
            dependencies=dependencies,
        )

    def parse_registry_schema(
        self, schema: RegistrySchema, references: Mapping[str, RegistrySchema]
    ) -> ProtobufParsed:
        if schema.schema_type != "PROTOBUF":
            raise DataException(f"Schema of type {schema.schema_type} is not a Protobuf schema")
        compiled = compile_schema(
            schema.schema_str, [(name, found.schema_str) for name, found in references.items()]
        )
        return ProtobufParsed(compiled, compiled.descriptor_at([0]), self.wrap_nullables)

    def encode(self, parsed: ProtobufParsed, schema: Schema | None, value: object) -> bytes:
        if schema is None:
            raise DataException("The Protobuf converter needs a schema for non-null values")
        validate_value(schema, value)
        message = parsed.compiled.message_class(parsed.root)()
        fill_message(message, schema, value)
        return encode_message_indexes(message_indexes(parsed.root)) + message.SerializeToString()

    def decode(self, parsed: ProtobufParsed, payload: memoryview) -> SchemaAndValue:
        indexes, start = decode_message_indexes(payload, 0)
        descriptor = parsed.compiled.descriptor_at(indexes)
        message = parsed.compiled.parse(descriptor, bytes(payload[start:]))
        schema = parsed.connect_schema(descriptor)
        return SchemaAndValue(schema, struct_from_message(schema, message))
