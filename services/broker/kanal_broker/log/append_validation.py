"""Checking a produce request's batches and preparing them for the log.

All checks run before anything is written, so a bad request changes nothing. The broker
reads only batch headers (CRC, framing, size, codec); record bytes are never decoded.
"""

from __future__ import annotations

from dataclasses import dataclass

from kanal.errors import (
    CorruptRecord,
    InvalidRecord,
    MessageTooLarge,
    RecordListTooLarge,
    UnsupportedCompressionType,
)
from kanal.records.header import (
    CODEC_ZSTD,
    iter_batches,
    set_base_offset,
    set_log_append_time,
    set_partition_leader_epoch,
)
from kanal.types import Offset, TimestampMs

from kanal_broker.log.results import AppendInfo


@dataclass(frozen=True, slots=True)
class PreparedAppend:
    data: bytearray
    first_offset: int
    last_offset: int
    max_timestamp: int
    record_count: int
    batch_epochs: tuple[tuple[int, int], ...] = ()
    """(leader epoch, first offset) at each change of epoch, for follower appends."""

    def info(self, *, append_time_ms: int, log_start_offset: int) -> AppendInfo:
        return AppendInfo(
            first_offset=Offset(self.first_offset),
            last_offset=Offset(self.last_offset),
            log_append_time_ms=TimestampMs(append_time_ms),
            log_start_offset=Offset(log_start_offset),
            max_timestamp=TimestampMs(self.max_timestamp),
            bytes=len(self.data),
            record_count=self.record_count,
        )


def validate_shape(
    batches: bytes | bytearray | memoryview, *, max_message_bytes: int, segment_bytes: int
) -> None:
    if not batches:
        raise CorruptRecord("the request holds no record batch")
    if len(batches) > segment_bytes:
        raise RecordListTooLarge(
            f"{len(batches)} bytes of batches exceed segment.bytes={segment_bytes}"
        )
    for position, header in iter_batches(batches):
        if header.size > max_message_bytes:
            raise MessageTooLarge(
                f"batch at byte {position} is {header.size} bytes; "
                f"max.message.bytes is {max_message_bytes}"
            )
        if header.codec > CODEC_ZSTD:
            raise UnsupportedCompressionType(
                f"batch at byte {position} uses compression codec {header.codec}"
            )


def prepare_leader_append(
    batches: bytes | bytearray | memoryview,
    *,
    next_offset: int,
    leader_epoch: int,
    append_time_ms: int | None,
    max_message_bytes: int,
    segment_bytes: int,
) -> PreparedAppend:
    """Validate, then give the batches consecutive offsets from `next_offset`, the leader's
    epoch and, for LogAppendTime topics, the broker's time."""
    validate_shape(batches, max_message_bytes=max_message_bytes, segment_bytes=segment_bytes)
    data = bytearray(batches)
    offset = next_offset
    records = 0
    max_timestamp = -1
    for position, header in list(iter_batches(data, check_crc=False)):
        if header.records_count == 0:
            raise InvalidRecord(f"batch at byte {position} holds no records")
        set_base_offset(data, position, offset)
        set_partition_leader_epoch(data, position, leader_epoch)
        if append_time_ms is not None:
            set_log_append_time(data, position, append_time_ms)
        offset += header.last_offset_delta + 1
        records += header.records_count
        batch_max = append_time_ms if append_time_ms is not None else header.max_timestamp
        max_timestamp = max(max_timestamp, batch_max)
    return PreparedAppend(data, next_offset, offset - 1, max_timestamp, records)


def prepare_follower_append(
    batches: bytes | bytearray | memoryview,
    *,
    log_end_offset: int,
    max_message_bytes: int,
    segment_bytes: int,
) -> PreparedAppend:
    """Validate replicated batches, which keep their offsets and epochs: they must start at
    or after the log end and increase (compaction on the leader may leave gaps)."""
    validate_shape(batches, max_message_bytes=max_message_bytes, segment_bytes=segment_bytes)
    expected = log_end_offset
    records = 0
    max_timestamp = -1
    epochs: list[tuple[int, int]] = []
    first = -1
    for position, header in iter_batches(batches, check_crc=False):
        if header.base_offset < expected:
            raise InvalidRecord(
                f"batch at byte {position} starts at offset {header.base_offset}; "
                f"the log expects {expected} or later"
            )
        if first < 0:
            first = header.base_offset
        if not epochs or header.partition_leader_epoch > epochs[-1][0]:
            epochs.append((header.partition_leader_epoch, header.base_offset))
        expected = header.next_offset
        records += header.records_count
        max_timestamp = max(max_timestamp, header.max_timestamp)
    return PreparedAppend(
        bytearray(batches), first, expected - 1, max_timestamp, records, tuple(epochs)
    )
