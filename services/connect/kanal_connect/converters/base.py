"""The `Converter` protocol: Connect data to record bytes and back (Kafka's `Converter`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple, Protocol, runtime_checkable

from kanal_connect.config.definition import ConfigDef
from kanal_connect.data.schema import Schema


class SchemaAndValue(NamedTuple):
    schema: Schema | None
    value: object


NULL = SchemaAndValue(None, None)

# Kafka's ConverterConfig: "converter.type" is key, value or header; configure(..., is_key)
# sets it.
CONVERTER_TYPE_CONFIG = "converter.type"


@runtime_checkable
class Converter(Protocol):
    def configure(self, configs: Mapping[str, object], is_key: bool) -> None:
        """Apply the converter's settings (`key.converter.` / `value.converter.` stripped)."""

    def config_def(self) -> ConfigDef:
        """The settings this converter reads."""

    def from_connect(self, topic: str, schema: Schema | None, value: object) -> bytes | None:
        """Serialize; None for a null value without schema (a tombstone)."""

    def to_connect(self, topic: str, data: bytes | None) -> SchemaAndValue:
        """Deserialize; raise only DataException for bad bytes."""


@runtime_checkable
class PreparingConverter(Converter, Protocol):
    """A converter whose per-record calls need I/O first (a schema registry).

    The task loops call the `prepare_*` coroutine once per batch, before the synchronous
    per-record calls, so those stay cheap and never block the event loop: `prepare_to_connect`
    fetches every schema id the batch's bytes name, `prepare_from_connect` registers (or looks
    up) every distinct schema the batch will be written with. Preparing must not fail for one
    bad record: it skips what it cannot resolve, and that record's own `to_connect` /
    `from_connect` then raises DataException (so `errors.tolerance` applies per record).
    Registry outages raise RetriableError (kanal_connect.errors) from `prepare_*`.
    """

    async def prepare_to_connect(self, topic: str, data: Sequence[bytes | None]) -> None:
        """Resolve the schemas these serialized records name."""

    async def prepare_from_connect(self, topic: str, schemas: Sequence[Schema | None]) -> None:
        """Resolve (register or look up) the ids of the schemas about to be serialized."""

    async def aclose(self) -> None:
        """Release the registry client."""
