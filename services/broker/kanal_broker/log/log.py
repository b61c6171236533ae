"""The log of one partition: segments in a directory, appended, read, rolled, truncated,
retained and compacted.

Offsets of three meanings are kept in order here, and only here:
    log_start_offset <= high_watermark <= log_end_offset
log_end is the next offset to assign (the active segment's next offset); high_watermark is
what replication has committed; log_start is the first readable offset.

Not thread-safe: the server runs each partition's calls one at a time, in an executor or,
for small appends inside `light_only()`, on its event loop.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from kanal.errors import OffsetOutOfRange
from kanal.records.header import BatchHeader, iter_batches
from kanal.topic_config import TopicConfig
from kanal.types import LeaderEpoch, Offset, TimestampMs

from kanal_broker.log import producer_snapshot, reading, rolling
from kanal_broker.log.append_validation import (
    PreparedAppend,
    prepare_follower_append,
    prepare_leader_append,
)
from kanal_broker.log.checkpoint import PartitionCheckpoint, mark_clean_shutdown
from kanal_broker.log.cleaner import DEFAULT_MAX_KEYS, Cleaner, CompactionProgress
from kanal_broker.log.epoch_cache import EpochCache
from kanal_broker.log.producer_state import ProducerStateManager
from kanal_broker.log.recovery import RecoveryReport, open_partition, open_segment
from kanal_broker.log.results import AppendInfo, CompactionStats, ReadResult
from kanal_broker.log.retention import expired_segments
from kanal_broker.log.segment_set import SegmentSet

Clock = Callable[[], int]


class HeavyAppend(Exception):
    """An append inside `Log.light_only()` would roll a segment, fsync, or write the
    leader-epoch checkpoint. Raised before anything changed: run it again outside."""


class Log:
    def __init__(
        self,
        directory: Path,
        config: TopicConfig,
        segments: SegmentSet,
        *,
        now_ms: Clock,
        checkpoint: PartitionCheckpoint,
        recovery: RecoveryReport,
    ) -> None:
        self.directory = directory
        self.config = config
        self.recovery = recovery
        self._now_ms = now_ms
        self._segments = segments
        self._epochs = EpochCache(directory)
        end = self.log_end_offset
        self._log_start = min(max(checkpoint.log_start_offset, segments.first.base_offset), end)
        self._high_watermark = min(max(checkpoint.high_watermark, self._log_start), end)
        self._recovery_point = min(checkpoint.recovery_point, end)
        self._unflushed_records = 0
        self._last_flush_ms = now_ms()
        self._closed = False
        self._light_only = False
        self._compaction = CompactionProgress()
        self._epochs.truncate_from_end(end)
        self._epochs.truncate_from_start(self._log_start)
        self._producers = ProducerStateManager()
        self._rebuild_producer_state()

    @classmethod
    def open(cls, directory: Path, config: TopicConfig, *, now_ms: Clock) -> Log:
        segments, checkpoint, report = open_partition(directory, config, now_ms())
        log = cls(
            directory,
            config,
            SegmentSet(segments),
            now_ms=now_ms,
            checkpoint=checkpoint,
            recovery=report,
        )
        if report.segments_recovered:
            log.flush()
        return log

    @property
    def log_start_offset(self) -> Offset:
        return Offset(self._log_start)

    @property
    def log_end_offset(self) -> Offset:
        return Offset(self._segments.active.next_offset)

    @property
    def high_watermark(self) -> Offset:
        return Offset(self._high_watermark)

    @high_watermark.setter
    def high_watermark(self, offset: int) -> None:
        self._high_watermark = min(max(offset, self._log_start), self.log_end_offset)

    @property
    def size_bytes(self) -> int:
        return self._segments.size_bytes

    @property
    def segment_base_offsets(self) -> list[Offset]:
        return [Offset(segment.base_offset) for segment in self._segments]

    def append_as_leader(self, batches: bytes, *, leader_epoch: int) -> AppendInfo:
        append_time = self._now_ms() if self.config.log_append_time else None
        prepared = prepare_leader_append(
            batches,
            next_offset=self.log_end_offset,
            leader_epoch=leader_epoch,
            append_time_ms=append_time,
            max_message_bytes=self.config.max_message_bytes,
            segment_bytes=self.config.segment_bytes,
        )
        headers = _headers(prepared.data)
        duplicate = self._producers.check(headers)
        if duplicate is not None:
            # An idempotent producer's retry of a batch already here: its original offsets.
            return AppendInfo(
                first_offset=Offset(duplicate.first_offset),
                last_offset=Offset(duplicate.last_offset),
                log_append_time_ms=TimestampMs(-1),
                log_start_offset=Offset(self._log_start),
                max_timestamp=TimestampMs(-1),
                bytes=0,
                record_count=0,
            )
        now = self._check_light(prepared, (leader_epoch,))
        self._epochs.assign(leader_epoch, prepared.first_offset)
        info = self._append(prepared, -1 if append_time is None else append_time, now)
        self._producers.apply(headers)
        return info

    def append_as_follower(self, batches: bytes) -> AppendInfo:
        prepared = prepare_follower_append(
            batches,
            log_end_offset=self.log_end_offset,
            max_message_bytes=self.config.max_message_bytes,
            segment_bytes=self.config.segment_bytes,
        )
        now = self._check_light(prepared, (epoch for epoch, _ in prepared.batch_epochs))
        for epoch, start_offset in prepared.batch_epochs:
            self._epochs.assign(epoch, start_offset)
        info = self._append(prepared, -1, now)
        self._producers.apply(_headers(prepared.data))
        return info

    @contextlib.contextmanager
    def light_only(self) -> Iterator[None]:
        """Within the block an append that would do more than write to the page cache
        (roll, fsync, epoch checkpoint) raises HeavyAppend instead, having changed nothing:
        what may run on an event loop."""
        self._light_only = True
        try:
            yield
        finally:
            self._light_only = False

    def _check_light(self, prepared: PreparedAppend, epochs: Iterable[int]) -> int:
        """The clock reading the append then uses (so its roll decision is this one)."""
        now = self._now_ms()
        if self._light_only and (
            rolling.roll_due(self._segments.active, self.config, now,
                             incoming_bytes=len(prepared.data), last_offset=prepared.last_offset,
                             incoming_timestamp=prepared.max_timestamp)
            or rolling.flush_due(self._unflushed_records + prepared.record_count,
                                 self._last_flush_ms, self.config, now)
            or any(self._epochs.is_new(epoch) for epoch in epochs)
        ):
            raise HeavyAppend
        return now

    def _append(self, prepared: PreparedAppend, append_time: int, now: int) -> AppendInfo:
        active = self._segments.active
        if rolling.roll_due(
            active,
            self.config,
            now,
            incoming_bytes=len(prepared.data),
            last_offset=prepared.last_offset,
            incoming_timestamp=prepared.max_timestamp,
        ):
            self.roll()
        self._segments.active.append(prepared.data)
        self._unflushed_records += prepared.record_count
        if rolling.flush_due(self._unflushed_records, self._last_flush_ms, self.config, now):
            self.flush()
        return prepared.info(append_time_ms=append_time, log_start_offset=self._log_start)

    def roll(self) -> None:
        """Start a new active segment at the log end (no-op while the active one is empty)."""
        active = self._segments.active
        if active.is_empty:
            return
        active.seal()
        self._segments.add(
            open_segment(self.directory, self.log_end_offset, self.config, self._now_ms())
        )
        self._recovery_point = active.next_offset
        self._write_checkpoint()
        producer_snapshot.write_snapshot(self.directory, self._producers)

    def maybe_roll(self) -> None:
        """Periodic work: roll by segment.ms and flush by flush.ms."""
        now = self._now_ms()
        if rolling.roll_due(self._segments.active, self.config, now):
            self.roll()
        if rolling.flush_due(self._unflushed_records, self._last_flush_ms, self.config, now):
            self.flush()

    def flush(self) -> None:
        self._segments.active.flush()
        self._recovery_point = self.log_end_offset
        self._unflushed_records = 0
        self._last_flush_ms = self._now_ms()
        self._write_checkpoint()

    def _write_checkpoint(self) -> None:
        PartitionCheckpoint(self._recovery_point, self._log_start, self._high_watermark).write(
            self.directory
        )

    def read(
        self,
        offset: int,
        max_bytes: int,
        *,
        max_offset: int | None = None,
        min_one_batch: bool = True,
    ) -> ReadResult:
        """Whole batches from the one holding `offset`, up to `max_bytes` (at least one batch
        with `min_one_batch`), none starting at or above `max_offset`."""
        end = self.log_end_offset
        if offset < self._log_start or offset > end:
            raise OffsetOutOfRange(
                f"offset {offset} is outside the log's range [{self._log_start}, {end}]"
            )
        limit = end if max_offset is None else min(max_offset, end)
        return reading.read(self._segments, offset, max_bytes, limit, min_one_batch)

    def offset_for_timestamp(self, timestamp_ms: int) -> tuple[int, int] | None:
        """(offset, timestamp) of the first record whose timestamp is at least `timestamp_ms`,
        or None if there is none."""
        found = reading.offset_for_timestamp(self._segments, timestamp_ms)
        return None if found is None else (max(found[0], self._log_start), found[1])

    def offset_of_max_timestamp(self) -> tuple[int, int] | None:
        """ListOffsets' MAX_TIMESTAMP (-3): (base offset of the batch holding the largest
        timestamp, that timestamp), or None for an empty log."""
        found = reading.offset_of_max_timestamp(self._segments)
        return None if found is None else (max(found[0], self._log_start), found[1])

    def truncate_to(self, offset: int) -> None:
        """Drop every batch holding `offset` or later (a follower's divergent tail)."""
        if offset >= self.log_end_offset:
            return
        if offset < self._log_start:
            self.truncate_fully_and_start_at(offset)
            return
        for segment in reversed(list(self._segments)):
            if segment.base_offset > offset:
                self._segments.remove(segment)
                segment.delete()
        self._segments.active.truncate_to(offset)
        self._after_truncation()
        self._rebuild_producer_state()

    def truncate_fully_and_start_at(self, offset: int) -> None:
        for segment in self._segments:
            self._segments.remove(segment)
            segment.delete()
        self._segments.add(open_segment(self.directory, offset, self.config, self._now_ms()))
        self._log_start = offset
        self._epochs.clear()
        self._after_truncation()
        producer_snapshot.delete_above(self.directory, -1)
        self._producers.reset(offset)

    def _after_truncation(self) -> None:
        end = self.log_end_offset
        self._high_watermark = min(max(self._high_watermark, self._log_start), end)
        self._recovery_point = min(self._recovery_point, end)
        self._compaction.truncated(end)
        self._epochs.truncate_from_end(end)
        self._write_checkpoint()

    def apply_retention(self) -> int:
        doomed = expired_segments(
            self._segments,
            self.config,
            now_ms=self._now_ms(),
            high_watermark=self._high_watermark,
            log_start_offset=self._log_start,
        )
        for segment in doomed:
            self._segments.remove(segment)
            segment.delete()
        if doomed:
            self._log_start = max(self._log_start, self._segments.first.base_offset)
            self._epochs.truncate_from_start(self._log_start)
            self._write_checkpoint()
            producer_snapshot.delete_older_than(self.directory, self._log_start)
        return len(doomed)

    def compact(self, max_keys: int = DEFAULT_MAX_KEYS) -> CompactionStats:
        if not self.config.compact:
            return CompactionStats()
        cleaner = Cleaner(
            self.directory,
            self._segments,
            self.config,
            now_ms=self._now_ms(),
            high_watermark=self._high_watermark,
            max_keys=max_keys,
        )
        return cleaner.clean(
            lambda base: open_segment(self.directory, base, self.config, self._now_ms()),
            self._compaction,
        )

    def update_config(self, config: TopicConfig) -> None:
        self.config = config
        for segment in self._segments:
            segment.index_interval_bytes = config.index_interval_bytes

    @property
    def latest_epoch(self) -> LeaderEpoch:
        return self._epochs.latest_epoch

    def leader_epoch_start_offset(self, epoch: int) -> int | None:
        return self._epochs.start_offset(epoch)

    def end_offset_for_epoch(self, epoch: int) -> tuple[int, int]:
        return self._epochs.end_offset_for(epoch, self.log_end_offset)

    def _rebuild_producer_state(self) -> None:
        producer_snapshot.rebuild(self.directory, self._producers, self._segments,
                                  log_end=self.log_end_offset)

    @property
    def producer_state(self) -> ProducerStateManager:
        """Idempotent producers' state (producer_state.py); read-only for callers."""
        return self._producers

    def close(self) -> None:
        """Flush everything and mark the shutdown clean, so the next open scans nothing."""
        if self._closed:
            return
        for segment in self._segments:
            segment.seal()
        self.flush()
        producer_snapshot.write_snapshot(self.directory, self._producers)
        self.abandon()
        mark_clean_shutdown(self.directory)

    def abandon(self) -> None:
        """Close the files without flushing or marking the shutdown clean: what a crash
        leaves behind (for tests, and for giving up on a failed disk)."""
        if not self._closed:
            self._closed = True
            for segment in self._segments:
                segment.abandon()

    def delete(self) -> None:
        self.abandon()
        shutil.rmtree(self.directory, ignore_errors=True)


def _headers(data: bytearray) -> list[BatchHeader]:
    return [header for _, header in iter_batches(data, check_crc=False)]
