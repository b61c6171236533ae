"""What the log's operations return: frozen values that cross into the server."""

from __future__ import annotations

from dataclasses import dataclass

from kanal.types import Offset, TimestampMs


@dataclass(frozen=True, slots=True)
class AppendInfo:
    first_offset: Offset
    last_offset: Offset
    log_append_time_ms: TimestampMs
    """The broker time stamped on the batches for LogAppendTime topics; -1 for CreateTime."""
    log_start_offset: Offset
    max_timestamp: TimestampMs
    bytes: int
    record_count: int


@dataclass(frozen=True, slots=True)
class ReadResult:
    records: bytes
    """Whole batches, as stored; empty when nothing is readable at the offset."""
    first_offset: Offset
    """Base offset of the first batch returned (it can be below the requested offset, which
    may sit inside that batch); the requested offset when nothing is returned."""
    next_offset: Offset
    """The offset after the last batch returned: where the next read continues."""


@dataclass(frozen=True, slots=True)
class CompactionStats:
    segments_cleaned: int = 0
    segments_after: int = 0
    bytes_before: int = 0
    bytes_after: int = 0
    records_kept: int = 0
    records_removed: int = 0
    tombstones_removed: int = 0
    keys_mapped: int = 0
