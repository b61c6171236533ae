"""Serializers and deserializers in Confluent's wire format, for any codec, sync and asyncio.

A serializer finds the schema id once per (topic, key-or-value) and keeps it, with the header
bytes and the codec's encoder: a record then costs one dict lookup, the header copy and the
codec's own encoding. Which subject and which id:

    subject = subject_name_strategy(topic, is_key, codec.record_name)
    use_latest_version -> the subject's latest version (its id, and its schema to encode with)
    auto_register      -> register the codec's schema (idempotent: the same id every time)
    otherwise          -> look the codec's schema up in the subject (error when absent)

The registry work is written once as registry_steps operations; `Serializer` runs them on a
`SchemaRegistryClient`, `AsyncSerializer` on an `AsyncSchemaRegistryClient`.

Plug into the SDK's kafka-python style hooks with `for_topic`:

    Producer(value_serializer=AvroSerializer(client, schema).for_topic("orders"))
    Consumer("orders", value_deserializer=AvroDeserializer(client))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from kanal.errors import SchemaRegistryError, SerializationError
from kanal.serde import registry_steps as steps
from kanal.serde.aio_registry_client import AsyncSchemaRegistryClient
from kanal.serde.codec import Encoder, ReaderCodec, WriterCodec, WriterSchema
from kanal.serde.registry_cache import RegistryCache
from kanal.serde.registry_client import SchemaRegistryClient
from kanal.serde.registry_steps import Steps
from kanal.serde.schema_types import SchemaId
from kanal.serde.subject_names import SubjectNameStrategy, topic_name_strategy
from kanal.serde.wire import HEADER_SIZE, read_header, write_header

_SCHEMA_NOT_FOUND = 40403
Target = tuple[bytes, Encoder]
"""The header bytes and the encoder for one (topic, is_key)."""


@dataclass(frozen=True, slots=True)
class SerializerSettings:
    auto_register: bool = True
    """Register the serializer's schema under the subject when it is not there yet."""
    use_latest_version: bool = False
    """Write with the subject's latest version instead of the serializer's own schema."""
    normalize: bool = False
    """Ask the registry to normalize the schema before registering or looking it up."""
    subject_name_strategy: SubjectNameStrategy = topic_name_strategy


class _Writing:
    """What sync and asyncio serializers share: the targets found so far and how to find one."""

    def __init__(
        self, cache: RegistryCache, codec: WriterCodec, settings: SerializerSettings | None
    ) -> None:
        self.codec = codec
        self.settings = settings or SerializerSettings()
        self._cache = cache
        self._targets: dict[tuple[str, bool], Target] = {}

    def _resolve(self, topic: str, is_key: bool) -> Steps[Target]:
        settings, cache = self.settings, self._cache
        subject = settings.subject_name_strategy(topic, is_key, self.codec.record_name)
        if settings.use_latest_version:
            latest = yield from steps.latest_version(cache, subject)
            schema_id, schema = latest.schema_id, latest.schema
        else:
            schema = yield from self.codec.registration(
                cache, auto_register=settings.auto_register, normalize=settings.normalize
            )
            if settings.auto_register:
                schema_id = yield from steps.register(
                    cache, subject, schema, normalize=settings.normalize
                )
            else:
                found = yield from steps.lookup(
                    cache, subject, schema, normalize=settings.normalize, deleted=False
                )
                schema_id = found.schema_id
        referenced = yield from steps.referenced_schemas(cache, schema)
        target = (write_header(schema_id), self.codec.encoder(schema, referenced))
        if not settings.use_latest_version:
            # Ids never change meaning; "latest" does, so it is asked again (through the
            # client's cache and its TTL) for every record.
            self._targets[(topic, is_key)] = target
        return target

    @staticmethod
    def _frame(target: Target, value: Any) -> bytes:
        header, encode = target
        out = BytesIO()
        out.write(header)
        encode(out, value)
        return out.getvalue()


class Serializer(_Writing):
    def __init__(
        self,
        client: SchemaRegistryClient,
        codec: WriterCodec,
        settings: SerializerSettings | None = None,
    ) -> None:
        super().__init__(client.cache, codec, settings)
        self.client = client

    def serialize(self, value: Any, topic: str, *, is_key: bool = False) -> bytes | None:
        """Framed bytes for `value` (None stays None: a tombstone)."""
        if value is None:
            return None
        target = self._targets.get((topic, is_key))
        if target is None:
            target = self.client.run(self._resolve(topic, is_key))
        return self._frame(target, value)

    def for_topic(self, topic: str, *, is_key: bool = False) -> Callable[[Any], bytes | None]:
        """A one-argument serializer for the SDK's `key_serializer=` / `value_serializer=`."""

        def serialize(value: Any) -> bytes | None:
            return self.serialize(value, topic, is_key=is_key)

        return serialize


class AsyncSerializer(_Writing):
    """`await serializer.serialize(value, topic)`, then send the bytes (the asyncio
    producer's hooks are synchronous, so the registry round trip happens here)."""

    def __init__(
        self,
        client: AsyncSchemaRegistryClient,
        codec: WriterCodec,
        settings: SerializerSettings | None = None,
    ) -> None:
        super().__init__(client.cache, codec, settings)
        self.client = client

    async def serialize(self, value: Any, topic: str, *, is_key: bool = False) -> bytes | None:
        if value is None:
            return None
        target = self._targets.get((topic, is_key))
        if target is None:
            target = await self.client.run(self._resolve(topic, is_key))
        return self._frame(target, value)


class _Reading:
    def __init__(self, cache: RegistryCache | None, codec: ReaderCodec) -> None:
        if cache is None and codec.needs_writer_schema:
            raise SerializationError("this deserializer needs a schema registry client")
        self.codec = codec
        self._cache = cache or RegistryCache()
        self._writers: dict[SchemaId, WriterSchema] = {}

    def _split(self, data: bytes) -> tuple[SchemaId, memoryview]:
        view = memoryview(data)
        return read_header(view), view[HEADER_SIZE:]

    def _writer(self, schema_id: SchemaId) -> Steps[WriterSchema]:
        try:
            schema = yield from steps.schema_by_id(self._cache, schema_id, subject=None)
        except SchemaRegistryError as error:
            if error.error_code == _SCHEMA_NOT_FOUND:
                raise SerializationError(
                    f"schema id {schema_id} in the record header is unknown to the registry"
                ) from error
            raise
        referenced = yield from steps.referenced_schemas(self._cache, schema)
        writer = WriterSchema(schema_id, schema, referenced)
        self._writers[schema_id] = writer
        return writer


class Deserializer(_Reading):
    """Reads framed bytes: the header's schema id names the writer schema, fetched once."""

    def __init__(self, client: SchemaRegistryClient | None, codec: ReaderCodec) -> None:
        super().__init__(None if client is None else client.cache, codec)
        self.client = client

    def deserialize(self, data: bytes | None) -> Any:
        if data is None:
            return None
        schema_id, payload = self._split(data)
        writer = None
        if self.codec.needs_writer_schema:
            writer = self._writers.get(schema_id)
            if writer is None:
                assert self.client is not None  # checked in _Reading for such codecs
                writer = self.client.run(self._writer(schema_id))
        return self.codec.decode(payload, writer)

    __call__ = deserialize  # the SDK's value_deserializer= takes a one-argument callable


class AsyncDeserializer(_Reading):
    def __init__(self, client: AsyncSchemaRegistryClient | None, codec: ReaderCodec) -> None:
        super().__init__(None if client is None else client.cache, codec)
        self.client = client

    async def deserialize(self, data: bytes | None) -> Any:
        if data is None:
            return None
        schema_id, payload = self._split(data)
        writer = None
        if self.codec.needs_writer_schema:
            writer = self._writers.get(schema_id)
            if writer is None:
                assert self.client is not None  # checked in _Reading for such codecs
                writer = await self.client.run(self._writer(schema_id))
        return self.codec.decode(payload, writer)
