"""What a format (Avro, JSON Schema, Protobuf) contributes to a serializer: turning values into
payload bytes for a given writer schema, and payload bytes back into values.

Codecs do no IO: the serializers (serializer.py) ask the registry and hand the codec the
schema and the schemas it references, already fetched, in dependency order. What a codec
needs from the registry itself (Protobuf's imported files) it asks as registry_steps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any, Protocol

from kanal.serde.registry_cache import RegistryCache
from kanal.serde.registry_steps import Steps
from kanal.serde.schema_types import Schema, SchemaId

Encoder = Callable[[BytesIO, Any], None]
"""Writes one value's payload after the header already in the buffer."""

NamedSchemas = Sequence[tuple[str, Schema]]
"""Referenced schemas as (reference name, schema), dependencies before dependents."""


@dataclass(frozen=True, slots=True)
class WriterSchema:
    """A registered schema a record is written or read with."""

    schema_id: SchemaId
    schema: Schema
    referenced: tuple[tuple[str, Schema], ...] = ()


class WriterCodec(Protocol):
    schema_type: str

    @property
    def schema(self) -> Schema:
        """The schema this codec was built with (registered or looked up by serializers)."""
        ...

    @property
    def record_name(self) -> str | None:
        """The full name the record subject-name strategies use."""
        ...

    def encoder(self, schema: Schema, referenced: NamedSchemas) -> Encoder:
        """The encoder for values written with `schema` (the codec's own schema, or the
        subject's latest version under use_latest_version)."""
        ...

    def registration(
        self, cache: RegistryCache, *, auto_register: bool, normalize: bool
    ) -> Steps[Schema]:
        """The schema to register or look up; Protobuf first registers (or looks up) the
        files its file imports and returns its schema with their references."""
        ...


class ReaderCodec(Protocol):
    needs_writer_schema: bool
    """False when the payload alone can be decoded (Protobuf with a known message class)."""

    def decode(self, payload: memoryview, writer: WriterSchema | None) -> Any:
        """The value in `payload`; raises SerializationError for bytes it cannot read."""
        ...
