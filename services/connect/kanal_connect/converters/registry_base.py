"""What every schema-registry converter shares (Confluent's AvroConverter, JsonSchemaConverter,
ProtobufConverter): settings, the registry client, the converted-schema caches, the batch
`prepare_*` steps and Confluent's wire framing. A format subclasses `RegistryConverter[P]`,
where P is its parsed schema, and supplies four methods:

    writer_schema(connect schema)        -> WriterSchema[P]: the registry schema (text, type,
                                            record name, dependencies) and the P to write with
    parse_registry_schema(schema, refs)  -> P, from a schema the registry holds
    encode(P, connect schema, value)     -> payload bytes (what follows the 5-byte header)
    decode(P, payload)                   -> SchemaAndValue

Every record is framed as `0x00 | schema id (4 bytes, big-endian) | payload` (kanal.serde.wire);
a Protobuf payload starts with its message indexes, which the format writes and reads itself.

The task loops await `prepare_*` once per batch: they do all registry I/O and fill the caches.
The per-record `from_connect` / `to_connect` only read the caches, so they stay synchronous.
What a batch could not resolve (a registry refusal, a schema the format cannot map) is kept
until the next batch, and only the records that need it raise DataException; registry outages
(no answer, HTTP 5xx or 429) raise RetriableError from `prepare_*`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from kanal.errors import ConfigurationError, KanalError, SchemaRegistryError, SerializationError
from kanal.serde.aio_registry_client import AsyncSchemaRegistryClient
from kanal.serde.http_edge import parse_urls
from kanal.serde.schema_types import Schema as RegistrySchema
from kanal.serde.schema_types import SchemaId, SchemaReference, SchemaType
from kanal.serde.wire import HEADER_SIZE, MAGIC_BYTE, write_header

from kanal_connect.config.definition import ConfigDef
from kanal_connect.converters.base import CONVERTER_TYPE_CONFIG, NULL, SchemaAndValue
from kanal_connect.converters.registry_settings import (
    SCHEMA_REGISTRY_URL_CONFIG,
    RegistrySettings,
    registry_config_def,
)
from kanal_connect.data.schema import Schema
from kanal_connect.errors import DataException, InvalidConnectorConfig, RetriableError

__all__ = ["RegistryConverter", "RegistrySchema", "WriterSchema"]

P = TypeVar("P")
K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R")

# Mapping a schema can take milliseconds (the Protobuf converter runs protoc in process), so
# it runs off the event loop; in one thread, as protoc's in-process entry point is not known
# to be reentrant. It happens once per schema, not per record.
_SCHEMA_MAPPING = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="schema-mapping")


async def _off_loop(function: Callable[..., R], *args: object) -> R:
    return await asyncio.get_running_loop().run_in_executor(_SCHEMA_MAPPING, function, *args)


@dataclass(frozen=True, slots=True)
class WriterSchema(Generic[P]):
    """What a Connect schema is written as."""

    registry: RegistrySchema
    """The schema to register or look up (its references are filled from `dependencies`)."""
    parsed: P
    """The format's parsed form, handed to `encode`."""
    record_name: str | None = None
    """The record / message / title name the Record*Strategy subjects use."""
    dependencies: tuple[tuple[str, RegistrySchema], ...] = ()
    """(reference name, schema) pairs registered first, each under its name as subject
    (Confluent's DefaultReferenceSubjectNameStrategy), in order; their own references must
    already be set."""


@dataclass(frozen=True, slots=True)
class _Write(Generic[P]):
    header: bytes
    parsed: P


class RegistryConverter(ABC, Generic[P]):
    """A `PreparingConverter` over the schema registry; subclasses supply the format."""

    schema_type: ClassVar[SchemaType]
    """The registry's schemaType of this format."""

    def __init__(self) -> None:
        self.settings = RegistrySettings(urls=(), is_key=False)
        self._client: AsyncSchemaRegistryClient | None = None
        self._reads: dict[SchemaId, P] = {}
        self._read_failures: dict[SchemaId, str] = {}
        # Writes by (topic, schema) equality, and in front of it by schema identity: hashing
        # a Schema walks all of it, and connectors reuse one Schema object per record type.
        self._writes: dict[tuple[str, Schema | None], _Write[P]] = {}
        self._writes_by_identity: dict[tuple[str, int], tuple[Schema | None, _Write[P]]] = {}
        self._write_failures: dict[tuple[str, Schema | None], str] = {}
        # Why the last prepare_* gave up (a registry outage), for the records it left behind.
        self._outage: str | None = None

    # ---- the format's part -----------------------------------------------------------------

    @abstractmethod
    def writer_schema(self, schema: Schema | None) -> WriterSchema[P]:
        """The registry schema of a Connect schema; DataException when it has none."""

    @abstractmethod
    def parse_registry_schema(
        self, schema: RegistrySchema, references: Mapping[str, RegistrySchema]
    ) -> P:
        """Parse a registered schema; `references` maps every reference name met, however
        deep, to its schema, in discovery order (a schema before the ones it references).
        DataException when the format cannot read it."""

    @abstractmethod
    def encode(self, parsed: P, schema: Schema | None, value: object) -> bytes:
        """The payload of a non-null value; DataException when it does not fit."""

    @abstractmethod
    def decode(self, parsed: P, payload: memoryview) -> SchemaAndValue:
        """The Connect schema and value of a payload. Other exceptions than DataException are
        wrapped in one by the caller (decoders raise many kinds on garbage)."""

    def format_config_def(self, config_def: ConfigDef) -> ConfigDef:
        """Add the format's own keys to the shared ones."""
        return config_def

    def configure_format(self, parsed: Mapping[str, object]) -> None:
        """Read the format's own keys from the parsed settings."""

    # ---- Converter ---------------------------------------------------------------------------

    def config_def(self) -> ConfigDef:
        return self.format_config_def(registry_config_def())

    def configure(self, configs: Mapping[str, object], is_key: bool) -> None:
        parsed = self.config_def().parse(
            {**configs, CONVERTER_TYPE_CONFIG: "key" if is_key else "value"}
        )
        settings = RegistrySettings.from_parsed(parsed, is_key)
        try:
            parse_urls(settings.urls)
        except ConfigurationError as error:
            raise InvalidConnectorConfig.for_value(
                SCHEMA_REGISTRY_URL_CONFIG, ",".join(settings.urls), error.message
            ) from None
        self.settings = settings
        self.configure_format(parsed)
        for cache in (self._reads, self._writes, self._writes_by_identity):
            cache.clear()

    def from_connect(self, topic: str, schema: Schema | None, value: object) -> bytes | None:
        if value is None:  # as Confluent's serializers: a null value stays null (a tombstone)
            return None
        write = self._prepared_write(topic, schema)
        try:
            return write.header + self.encode(write.parsed, schema, value)
        except DataException:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as error:
            raise DataException(f"Failed to serialize data for topic {topic}: {error}") from None

    def to_connect(self, topic: str, data: bytes | None) -> SchemaAndValue:
        if data is None:
            return NULL
        if len(data) < HEADER_SIZE or data[0] != MAGIC_BYTE:
            raise DataException(
                f"Failed to deserialize data for topic {topic}: Unknown magic byte!"
            )
        schema_id = SchemaId(int.from_bytes(data[1:HEADER_SIZE], "big"))
        parsed = self._reads.get(schema_id)
        if parsed is None:
            raise DataException(self._read_failures.get(schema_id) or self._outage or (
                f"Failed to deserialize data for topic {topic}: schema id {schema_id} was not "
                f"fetched (prepare_to_connect was not called for this record)"))
        try:
            return self.decode(parsed, memoryview(data)[HEADER_SIZE:])
        except DataException:
            raise
        except Exception as error:  # garbage bytes: whatever the decoder raised
            raise DataException(
                f"Failed to deserialize data for topic {topic} to {self.schema_type}: "
                f"{type(error).__name__}: {error}"
            ) from None

    # ---- PreparingConverter ------------------------------------------------------------------

    async def prepare_to_connect(self, topic: str, data: Sequence[bytes | None]) -> None:
        self._read_failures, self._outage = {}, None
        missing: set[SchemaId] = set()
        for raw in data:
            if raw is not None and len(raw) >= HEADER_SIZE and raw[0] == MAGIC_BYTE:
                schema_id = SchemaId(int.from_bytes(raw[1:HEADER_SIZE], "big"))
                if schema_id not in self._reads:
                    missing.add(schema_id)
        _make_room(self._reads, len(missing), self.settings.cache_capacity)
        for schema_id in sorted(missing):
            try:
                schema = await self.client.get_schema(schema_id)
                references = await self._referenced(schema)
                self._reads[schema_id] = await _off_loop(
                    self.parse_registry_schema, schema, references)
            except (SchemaRegistryError, DataException, SerializationError) as error:
                self._read_failures[schema_id] = self._failure(
                    error, f"Failed to deserialize data for topic {topic}: schema id {schema_id}"
                )

    async def prepare_from_connect(self, topic: str, schemas: Sequence[Schema | None]) -> None:
        self._write_failures, self._outage = {}, None
        missing: dict[tuple[str, Schema | None], Schema | None] = {}
        for schema in schemas:
            known = self._writes_by_identity.get((topic, id(schema)))
            if known is not None and known[0] is schema:
                continue
            key = (topic, schema)
            write = self._writes.get(key)
            if write is not None:
                self._remember_identity(topic, schema, write)
            else:
                missing.setdefault(key, schema)
        _make_room(self._writes, len(missing), self.settings.cache_capacity)
        for key, schema in missing.items():
            try:
                self._writes[key] = await self._resolve_write(topic, schema)
            except (SchemaRegistryError, DataException, SerializationError) as error:
                self._write_failures[key] = self._failure(
                    error, f"Failed to serialize data for topic {topic}"
                )

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    # ---- plumbing ----------------------------------------------------------------------------

    @property
    def client(self) -> AsyncSchemaRegistryClient:
        """The registry client, made on first use (configure may run outside a loop)."""
        if self._client is None:
            self._client = AsyncSchemaRegistryClient(
                self.settings.urls, latest_ttl_s=self.settings.latest_ttl_s
            )
        return self._client

    def _prepared_write(self, topic: str, schema: Schema | None) -> _Write[P]:
        known = self._writes_by_identity.get((topic, id(schema)))
        if known is not None and known[0] is schema:
            return known[1]
        key = (topic, schema)
        write = self._writes.get(key)
        if write is None:
            raise DataException(self._write_failures.get(key) or self._outage or (
                f"Failed to serialize data for topic {topic}: its schema was not resolved "
                f"(prepare_from_connect was not called for this record)"))
        self._remember_identity(topic, schema, write)
        return write

    def _remember_identity(self, topic: str, schema: Schema | None, write: _Write[P]) -> None:
        if len(self._writes_by_identity) >= self.settings.cache_capacity:
            self._writes_by_identity.clear()
        # The entry holds the schema itself, so its id() is not reused while cached.
        self._writes_by_identity[(topic, id(schema))] = (schema, write)

    async def _resolve_write(self, topic: str, schema: Schema | None) -> _Write[P]:
        written = await _off_loop(self.writer_schema, schema)
        settings = self.settings
        subject = settings.subject_name_strategy(topic, settings.is_key, written.record_name)
        if settings.use_latest_version and not settings.auto_register:
            latest = await self.client.get_latest_version(subject)
            references = await self._referenced(latest.schema)
            parsed = await _off_loop(self.parse_registry_schema, latest.schema, references)
            return _Write(write_header(latest.schema_id), parsed)
        registry = await self._with_dependencies(written)
        if settings.auto_register:
            schema_id = await self.client.register_schema(
                subject, registry, normalize=settings.normalize
            )
        else:
            found = await self.client.lookup_schema(
                subject, registry, normalize=settings.normalize
            )
            schema_id = found.schema_id
        return _Write(write_header(schema_id), written.parsed)

    async def _with_dependencies(self, written: WriterSchema[P]) -> RegistrySchema:
        if not written.dependencies:
            return written.registry
        references = []
        for name, dependency in written.dependencies:
            if self.settings.auto_register:
                await self.client.register_schema(
                    name, dependency, normalize=self.settings.normalize
                )
            found = await self.client.lookup_schema(
                name, dependency, normalize=self.settings.normalize
            )
            references.append(SchemaReference(name, name, found.version))
        return dataclasses.replace(written.registry, references=tuple(references))

    def _failure(self, error: KanalError, context: str) -> str:
        """The message a record's DataException will carry; raises RetriableError for
        outages (no answer, HTTP 5xx or 429)."""
        if isinstance(error, SchemaRegistryError):
            status = error.http_status
            if status == 0 or status >= 500 or status == 429:
                self._outage = f"{context}: schema registry unavailable: {error.message}"
                raise RetriableError(self._outage) from error
        if isinstance(error, DataException):
            return error.message
        return f"{context}: {error.message}"

    async def _referenced(
        self, schema: RegistrySchema, into: dict[str, RegistrySchema] | None = None
    ) -> dict[str, RegistrySchema]:
        into = {} if into is None else into
        for reference in schema.references:
            if reference.name not in into:
                found = await self.client.get_version(reference.subject, reference.version)
                into[reference.name] = found.schema
                await self._referenced(found.schema, into)
        return into


def _make_room(cache: dict[K, V], incoming: int, capacity: int) -> None:
    """Drop the oldest entries so `incoming` new ones fit, before a batch fills them: the
    batch's own entries are never evicted before its records are converted."""
    excess = len(cache) + incoming - capacity
    if excess <= 0:
        return
    if excess >= len(cache):
        cache.clear()
        return
    for key in list(cache)[:excess]:
        del cache[key]
