"""Helpers for tests of the log and of code above it (the server's tests may use them too):
a clock to drive time-based behaviour, topic configs from Kafka-style overrides, and batch
encoding and decoding through the `kanal.records` codec."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from kanal.records.builder import BatchBuilder
from kanal.records.reader import iter_records
from kanal.topic_config import TopicConfig

from kanal_broker.log.log import Log

KeyValue = tuple[bytes | None, bytes | None]
OpenLog = Callable[..., Log]
"""The `open_log` fixture: opens the test's partition with topic-config overrides."""


class ManualClock:
    """Milliseconds that move only when told to."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self.now_ms = start_ms

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, ms: int) -> None:
        self.now_ms += ms


def topic_config(**overrides: object) -> TopicConfig:
    """A TopicConfig from keyword overrides: `segment_bytes=1024` means segment.bytes=1024."""
    return TopicConfig.resolve(
        {name.replace("_", "."): str(value) for name, value in overrides.items()}
    )


def build_batch(
    records: Sequence[KeyValue],
    *,
    timestamp_ms: int = 1_700_000_000_000,
    codec: int = 0,
    producer_id: int = -1,
    producer_epoch: int = -1,
    base_sequence: int = -1,
) -> bytes:
    """One batch (base offset 0, as a producer sends it) with every record at `timestamp_ms`."""
    builder = BatchBuilder(codec=codec, producer_id=producer_id, producer_epoch=producer_epoch,
                           base_sequence=base_sequence, max_bytes=2**31 - 1)
    for key, value in records:
        builder.append(timestamp_ms, key, value)
    return builder.build()


def decode(batches: bytes, *, min_offset: int = 0) -> list[tuple[int, bytes | None, bytes | None]]:
    """(offset, key, value) of every record in `batches` at or after `min_offset`."""
    return [
        (record.offset, record.key, record.value)
        for record in iter_records(batches, min_offset=min_offset)
    ]


def values(records: Iterable[tuple[int, bytes | None, bytes | None]]) -> list[bytes | None]:
    return [value for _, _, value in records]
