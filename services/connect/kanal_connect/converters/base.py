"""The `Converter` protocol: Connect data to record bytes and back (Kafka's `Converter`)."""

from __future__ import annotations

from collections.abc import Mapping
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
