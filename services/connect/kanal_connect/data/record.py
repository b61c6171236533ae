"""Connect records: what converters produce and transformations rewrite.

Records and headers are frozen; `new_record` returns a copy with some attributes replaced,
like Kafka's `ConnectRecord.newRecord(...)`, keeping the subclass and its extra fields.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Self

from kanal_connect.data.schema import Schema


@dataclass(frozen=True, slots=True)
class ConnectHeader:
    """One record header with its Connect schema (None when schemaless)."""

    key: str
    schema: Schema | None
    value: object


# Kafka's `TimestampType` names, as a sink record carries them.
TimestampType = Literal["NoTimestampType", "CreateTime", "LogAppendTime"]


class _Keep:
    """Marker for "leave this attribute as it is" in `new_record`."""


KEEP = _Keep()


@dataclass(frozen=True, kw_only=True)
class ConnectRecord:
    topic: str
    kafka_partition: int | None = None
    key_schema: Schema | None = None
    key: object = None
    value_schema: Schema | None = None
    value: object = None
    timestamp: int | None = None
    headers: tuple[ConnectHeader, ...] = ()

    def new_record(
        self,
        *,
        topic: str | _Keep = KEEP,
        kafka_partition: int | _Keep | None = KEEP,
        key_schema: Schema | _Keep | None = KEEP,
        key: object = KEEP,
        value_schema: Schema | _Keep | None = KEEP,
        value: object = KEEP,
        timestamp: int | _Keep | None = KEEP,
        headers: tuple[ConnectHeader, ...] | _Keep = KEEP,
    ) -> Self:
        changes: dict[str, Any] = {
            "topic": topic,
            "kafka_partition": kafka_partition,
            "key_schema": key_schema,
            "key": key,
            "value_schema": value_schema,
            "value": value,
            "timestamp": timestamp,
            "headers": headers,
        }
        return dataclasses.replace(
            self, **{name: v for name, v in changes.items() if not isinstance(v, _Keep)}
        )

    def header(self, key: str) -> ConnectHeader | None:
        """The last header called `key` (Kafka's `Headers.lastWithName`)."""
        for candidate in reversed(self.headers):
            if candidate.key == key:
                return candidate
        return None


@dataclass(frozen=True, kw_only=True)
class SourceRecord(ConnectRecord):
    """A record a source task produced; the partition and offset are the source system's."""

    source_partition: Mapping[str, object] | None = None
    source_offset: Mapping[str, object] | None = None


@dataclass(frozen=True, kw_only=True)
class SinkRecord(ConnectRecord):
    """A record consumed from Kafka for a sink task."""

    kafka_offset: int = 0
    timestamp_type: TimestampType = "CreateTime"

    @classmethod
    def consumed(  # noqa: PLR0917 - one record per call on the sink's hot path
        cls, topic: str, kafka_partition: int, kafka_offset: int, timestamp: int | None,
        timestamp_type: TimestampType, key_schema: Schema | None, key: object,
        value_schema: Schema | None, value: object, headers: tuple[ConnectHeader, ...],
    ) -> SinkRecord:
        """The same record as the keyword constructor, built without the frozen dataclass's
        `__init__` (one `object.__setattr__` per field: about 2.5 us against 1 us, once per
        consumed record)."""
        record = object.__new__(cls)
        record.__dict__.update(
            topic=topic, kafka_partition=kafka_partition, key_schema=key_schema, key=key,
            value_schema=value_schema, value=value, timestamp=timestamp, headers=headers,
            kafka_offset=kafka_offset, timestamp_type=timestamp_type)
        return record
