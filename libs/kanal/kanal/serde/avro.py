"""Avro in Confluent's wire format, encoded by fastavro.

Values are what fastavro reads and writes: dicts for records, str, int, float, bytes, lists,
and the logical types' Python values. Parsed schemas are cached (by schema text for writers,
by schema id for readers), so a record costs fastavro's schemaless encoding and the header.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping, Sequence
from io import BytesIO
from typing import Any

from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.types import Schema as FastavroSchema

from kanal.errors import SerializationError
from kanal.serde import registry_steps as steps
from kanal.serde.aio_registry_client import AsyncSchemaRegistryClient
from kanal.serde.codec import Encoder, NamedSchemas, WriterSchema
from kanal.serde.registry_cache import RegistryCache
from kanal.serde.registry_client import SchemaRegistryClient
from kanal.serde.registry_steps import Steps
from kanal.serde.schema_types import Schema, SchemaId, SchemaReference
from kanal.serde.serializer import (
    AsyncDeserializer,
    AsyncSerializer,
    Deserializer,
    Serializer,
    SerializerSettings,
)

# What fastavro raises for a value that does not fit the schema, or bytes that do not decode.
_CODEC_ERRORS = (
    ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError, EOFError,
    struct.error, UnicodeDecodeError, RecursionError,
)  # fmt: skip


def parse_avro(schema: Schema, referenced: NamedSchemas = ()) -> FastavroSchema:
    """fastavro's parsed form, with the referenced named types defined first."""
    named: dict[str, Any] = {}
    try:
        for _name, dependency in referenced:
            parse_schema(json.loads(dependency.schema_str), named_schemas=named)
        return parse_schema(json.loads(schema.schema_str), named_schemas=named)
    except (json.JSONDecodeError, *_CODEC_ERRORS) as error:
        raise SerializationError(f"invalid Avro schema: {error}") from None
    except Exception as error:  # fastavro's SchemaParseException and UnknownType
        raise SerializationError(f"invalid Avro schema: {error}") from None


class AvroWriterCodec:
    schema_type = "AVRO"

    def __init__(
        self, schema: str | Mapping[str, Any], references: Sequence[SchemaReference] = ()
    ) -> None:
        self._schema = _schema(schema, references)
        self._record_name = _record_name(self._schema.schema_str)
        self._encoders: dict[Schema, Encoder] = {}

    @property
    def schema(self) -> Schema:
        return self._schema

    @property
    def record_name(self) -> str | None:
        return self._record_name

    def registration(
        self, cache: RegistryCache, *, auto_register: bool, normalize: bool
    ) -> Steps[Schema]:
        return steps.done(self._schema)

    def encoder(self, schema: Schema, referenced: NamedSchemas) -> Encoder:
        cached = self._encoders.get(schema)
        if cached is not None:
            return cached
        parsed = parse_avro(schema, referenced)

        def encode(out: BytesIO, value: Any) -> None:
            try:
                schemaless_writer(out, parsed, value)
            except _CODEC_ERRORS as error:
                raise SerializationError(f"value does not match the Avro schema: {error}") from None

        self._encoders[schema] = encode
        return encode


class AvroReaderCodec:
    needs_writer_schema = True

    def __init__(self, reader_schema: str | Mapping[str, Any] | None = None) -> None:
        self._reader = None if reader_schema is None else parse_avro(_schema(reader_schema))
        self._writers: dict[SchemaId, FastavroSchema] = {}

    def decode(self, payload: memoryview, writer: WriterSchema | None) -> Any:
        if writer is None:
            raise SerializationError("Avro needs the writer's schema to decode")
        parsed = self._writers.get(writer.schema_id)
        if parsed is None:
            parsed = self._writers[writer.schema_id] = parse_avro(writer.schema, writer.referenced)
        try:
            return schemaless_reader(BytesIO(payload), parsed, self._reader)
        except _CODEC_ERRORS as error:
            raise SerializationError(
                f"bytes do not decode with Avro schema id {writer.schema_id}: {error!r}"
            ) from None
        except Exception as error:  # fastavro's SchemaResolutionError (reader vs writer)
            raise SerializationError(
                f"record of schema id {writer.schema_id} cannot be read: {error}"
            ) from None


class AvroSerializer(Serializer):
    """`AvroSerializer(client, schema).serialize(value, "orders")`; schema as text or dict."""

    def __init__(
        self,
        client: SchemaRegistryClient,
        schema: str | Mapping[str, Any],
        *,
        references: Sequence[SchemaReference] = (),
        settings: SerializerSettings | None = None,
    ) -> None:
        super().__init__(client, AvroWriterCodec(schema, references), settings)


class AvroDeserializer(Deserializer):
    """Reads with the writer's schema, or resolves into `reader_schema` when given."""

    def __init__(
        self,
        client: SchemaRegistryClient,
        reader_schema: str | Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(client, AvroReaderCodec(reader_schema))


class AsyncAvroSerializer(AsyncSerializer):
    def __init__(
        self,
        client: AsyncSchemaRegistryClient,
        schema: str | Mapping[str, Any],
        *,
        references: Sequence[SchemaReference] = (),
        settings: SerializerSettings | None = None,
    ) -> None:
        super().__init__(client, AvroWriterCodec(schema, references), settings)


class AsyncAvroDeserializer(AsyncDeserializer):
    def __init__(
        self,
        client: AsyncSchemaRegistryClient,
        reader_schema: str | Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(client, AvroReaderCodec(reader_schema))


def _schema(schema: str | Mapping[str, Any], references: Sequence[SchemaReference] = ()) -> Schema:
    text = schema if isinstance(schema, str) else json.dumps(schema)
    return Schema(text, "AVRO", tuple(references))


def _record_name(text: str) -> str | None:
    """The full name of a top-level named type, as Confluent's record strategies use it."""
    try:
        schema = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(schema, dict) or "name" not in schema:
        return None
    name = str(schema["name"])
    namespace = schema.get("namespace")
    return name if "." in name or not namespace else f"{namespace}.{name}"
