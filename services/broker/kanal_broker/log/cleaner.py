"""Log compaction (cleanup.policy=compact): keep the latest record of every key.

The cleanable range is the closed segments below the high watermark whose records are all
older than min.compaction.lag.ms; the active segment is never touched. Two passes:

1. map every key of the dirty section (closed segments written since the last pass) to its
   latest offset, keys as 16-byte BLAKE2 digests (Kafka keeps an MD5). The map is bounded
   (`max_keys`, Kafka's log.cleaner.dedupe.buffer.size): it takes whole segments while the
   next one cannot overflow it, and the pass stops at the last segment mapped; the rest stays
   dirty for the next pass;
2. rewrite runs of segments from the start through the last mapped one (grouped up to
   segment.bytes), keeping a keyed record unless the map holds a later offset for its key,
   and dropping tombstones older than delete.retention.ms. A key the map lacks lives only in
   the clean section, which earlier passes left with one record per key, so it is kept.
   Records keep their offsets: a batch that lost records is rebuilt as one batch per run of
   consecutive surviving offsets, with the original producer fields, codec and leader epoch.
   Batches that lose nothing are copied byte for byte. Control batches are copied as they are.

A pass runs only when it is worth it (`Cleaner.clean`): new closed segments make up
min.cleanable.dirty.ratio of the cleanable bytes, or a kept tombstone has expired. Progress
is kept in memory, so the first pass after a restart maps from the log start again.

Swap protocol, crash-safe at every step (recovery.py finishes or undoes it):
    write `{base}.log.cleaned`, fsync       crash: .cleaned deleted, old segments stay
    rename to `{base}.log.swap`, fsync dir  commit point
    delete the old segments of the group    crash: recovery deletes the rest, installs swap
    rename `.swap` to `{base}.log`          indexes are rebuilt from the new file
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kanal.records.builder import BatchBuilder
from kanal.records.header import NO_SEQUENCE, BatchHeader, set_log_append_time
from kanal.records.reader import decode_batch
from kanal.records.record import Record
from kanal.topic_config import TopicConfig

from kanal_broker.log.files import (
    CLEANED_SUFFIX,
    LOG_SUFFIX,
    SWAP_SUFFIX,
    fsync_directory,
    remove_quietly,
    segment_file,
    write_all,
)
from kanal_broker.log.results import CompactionStats
from kanal_broker.log.segment import MAX_RELATIVE_OFFSET, Segment
from kanal_broker.log.segment_set import SegmentSet

OpenSegment = Callable[[int], Segment]

KEY_MAP_BYTES_PER_KEY = 150
"""What one key costs the map in CPython: a 16-byte digest object, an int and a dict slot."""
DEFAULT_MAX_KEYS = 128 * 1024 * 1024 // KEY_MAP_BYTES_PER_KEY
"""Keys one pass may map by default: Kafka's 128 MiB log.cleaner.dedupe.buffer.size."""


def key_digest(key: bytes) -> bytes:
    return hashlib.blake2b(key, digest_size=16).digest()


@dataclass(slots=True)
class _Tally:
    kept: int = 0
    removed: int = 0
    tombstones_removed: int = 0
    earliest_tombstone_ms: int | None = None


@dataclass(slots=True)
class CompactionProgress:
    """What the last pass left clean; kept in memory, so after a restart the first pass
    cleans everything again."""

    first_dirty_offset: int = 0
    """Closed segments holding offsets at or above this were written since the last pass."""
    tombstones_expire_at_ms: int = -1
    """When the oldest tombstone kept passes delete.retention.ms (-1: none kept)."""

    def truncated(self, log_end_offset: int) -> None:
        self.first_dirty_offset = min(self.first_dirty_offset, log_end_offset)


class Cleaner:
    def __init__(
        self,
        directory: Path,
        segments: SegmentSet,
        config: TopicConfig,
        *,
        now_ms: int,
        high_watermark: int,
        max_keys: int = DEFAULT_MAX_KEYS,
    ) -> None:
        if max_keys < 1:
            raise ValueError(f"max_keys must be positive, got {max_keys}")
        self._directory = directory
        self._segments = segments
        self._config = config
        self._now_ms = now_ms
        self._high_watermark = high_watermark
        self._max_keys = max_keys

    def clean(self, open_segment: OpenSegment, progress: CompactionProgress) -> CompactionStats:
        """Compact when worth it: when the dirty share of the cleanable bytes (closed segments
        written since the last pass) reaches min.cleanable.dirty.ratio, as in Kafka, or when a
        kept tombstone has outlived delete.retention.ms."""
        cleanable = self.cleanable()
        # A segment is dirty if it holds any offset written since the last pass (a truncated
        # segment can take new appends after clean ones).
        dirty = sum(
            segment.size
            for segment in cleanable
            if self._segments.upper_bound(segment) > progress.first_dirty_offset
        )
        total = sum(segment.size for segment in cleanable)
        tombstones_due = 0 <= progress.tombstones_expire_at_ms <= self._now_ms
        if not cleanable or (
            not tombstones_due
            and (dirty == 0 or dirty < total * self._config.min_cleanable_dirty_ratio)
        ):
            return CompactionStats()
        latest, mapped_through = self.build_offset_map(cleanable, progress.first_dirty_offset)
        cleanable = cleanable[: mapped_through + 1]
        tally = _Tally()
        bytes_before = bytes_after = sum(segment.size for segment in cleanable)
        replaced = created = 0
        for group in self.groups(cleanable):
            cleaned = self.write_cleaned(group, latest, tally)
            if cleaned is None:
                continue
            bytes_after -= sum(segment.size for segment in group)
            bytes_after += self.install(group, cleaned, open_segment).size
            replaced += len(group)
            created += 1
        progress.first_dirty_offset = self._segments.upper_bound(cleanable[-1])
        progress.tombstones_expire_at_ms = (
            -1
            if tally.earliest_tombstone_ms is None
            else tally.earliest_tombstone_ms + self._config.delete_retention_ms + 1
        )
        return CompactionStats(
            segments_cleaned=replaced,
            segments_after=created,
            bytes_before=bytes_before,
            bytes_after=bytes_after,
            records_kept=tally.kept,
            records_removed=tally.removed,
            tombstones_removed=tally.tombstones_removed,
            keys_mapped=len(latest),
        )

    def cleanable(self) -> list[Segment]:
        lag_limit = self._now_ms - self._config.min_compaction_lag_ms
        result: list[Segment] = []
        for segment in self._segments.closed:
            if self._segments.upper_bound(segment) > self._high_watermark:
                break
            if segment.max_timestamp > lag_limit:
                break
            result.append(segment)
        return result

    def groups(self, cleanable: list[Segment]) -> list[list[Segment]]:
        """Consecutive segments merged while their total stays within segment.bytes and their
        offsets within one index's reach."""
        groups: list[list[Segment]] = []
        for segment in cleanable:
            if groups:
                group = groups[-1]
                size = sum(member.size for member in group) + segment.size
                span = self._segments.upper_bound(segment) - group[0].base_offset
                if size <= self._config.segment_bytes and span <= MAX_RELATIVE_OFFSET:
                    group.append(segment)
                    continue
            groups.append([segment])
        return groups

    def build_offset_map(
        self, cleanable: list[Segment], first_dirty_offset: int
    ) -> tuple[dict[bytes, int], int]:
        """The latest offset of every key in the dirty segments, and the index in `cleanable`
        of the last segment mapped (all of them when no dirty one is left out). A segment
        is mapped only if its record count cannot overflow `max_keys`, except the first dirty
        one, so a pass always makes progress."""
        latest: dict[bytes, int] = {}
        mapped_through = len(cleanable) - 1
        mapped_any = False
        for index, segment in enumerate(cleanable):
            upper = self._segments.upper_bound(segment)
            if upper <= first_dirty_offset:
                continue
            if mapped_any and len(latest) + upper - segment.base_offset > self._max_keys:
                mapped_through = index - 1
                break
            mapped_any = True
            for position, header in segment.iter_batches():
                if header.is_control:
                    continue
                _, records = decode_batch(segment.read(position, header.size), check_crc=False)
                for record in records:
                    if record.key is not None:
                        latest[key_digest(record.key)] = record.offset
        return latest, mapped_through

    # -- rewriting ---------------------------------------------------------------------------

    def write_cleaned(
        self, group: list[Segment], latest: dict[bytes, int], tally: _Tally
    ) -> Path | None:
        """Write the group's surviving batches to `.cleaned`; None when nothing would change
        (a single segment that loses no record)."""
        path = segment_file(self._directory, group[0].base_offset, LOG_SUFFIX + CLEANED_SUFFIX)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        changed = len(group) > 1
        try:
            for segment in group:
                for position, header in segment.iter_batches():
                    raw = segment.read(position, header.size)
                    rewritten = (
                        raw if header.is_control else self._clean_batch(raw, header, latest, tally)
                    )
                    changed = changed or rewritten is not raw
                    if rewritten:
                        write_all(fd, rewritten)
            os.fsync(fd)
        finally:
            os.close(fd)
        if not changed:
            remove_quietly(path)
            return None
        return path

    def _clean_batch(
        self, raw: bytes, header: BatchHeader, latest: dict[bytes, int], tally: _Tally
    ) -> bytes:
        _, records = decode_batch(raw, check_crc=False)
        tombstone_limit = self._now_ms - self._config.delete_retention_ms
        kept: list[Record] = []
        for record in records:
            is_latest = (
                record.key is not None
                and latest.get(key_digest(record.key), record.offset) <= record.offset
            )
            expired_tombstone = record.value is None and record.timestamp < tombstone_limit
            if is_latest and not expired_tombstone:
                kept.append(record)
                if record.value is None and (
                    tally.earliest_tombstone_ms is None
                    or record.timestamp < tally.earliest_tombstone_ms
                ):
                    tally.earliest_tombstone_ms = record.timestamp
            else:
                tally.removed += 1
                tally.tombstones_removed += int(is_latest and expired_tombstone)
        tally.kept += len(kept)
        if len(kept) == len(records):
            return raw
        return b"".join(_rebuild(header, run) for run in _consecutive_runs(kept))

    def install(self, group: list[Segment], cleaned: Path, open_segment: OpenSegment) -> Segment:
        """Commit the cleaned file and swap it in for the group's segments."""
        base = group[0].base_offset
        swap = segment_file(self._directory, base, LOG_SUFFIX + SWAP_SUFFIX)
        os.replace(cleaned, swap)
        fsync_directory(self._directory)
        for segment in group:
            self._segments.remove(segment)
            segment.delete()
        os.replace(swap, segment_file(self._directory, base, LOG_SUFFIX))
        fsync_directory(self._directory)
        replacement = open_segment(base)
        replacement.recover()
        replacement.seal()
        self._segments.add(replacement)
        return replacement


def _consecutive_runs(records: list[Record]) -> list[list[Record]]:
    runs: list[list[Record]] = []
    for record in records:
        if runs and runs[-1][-1].offset + 1 == record.offset:
            runs[-1].append(record)
        else:
            runs.append([record])
    return runs


def _rebuild(header: BatchHeader, run: list[Record]) -> bytes:
    first = run[0].offset
    sequence = NO_SEQUENCE
    if header.base_sequence != NO_SEQUENCE:
        sequence = (header.base_sequence + first - header.base_offset) % 2**31
    builder = BatchBuilder(
        codec=header.codec,
        producer_id=header.producer_id,
        producer_epoch=header.producer_epoch,
        base_sequence=sequence,
        transactional=header.is_transactional,
        max_bytes=2**31 - 1,
    )
    for record in run:
        builder.append(record.timestamp, record.key, record.value, record.headers)
    data = builder.build(base_offset=first, partition_leader_epoch=header.partition_leader_epoch)
    if header.is_log_append_time:
        mutable = bytearray(data)
        set_log_append_time(mutable, 0, header.max_timestamp)
        return bytes(mutable)
    return data
