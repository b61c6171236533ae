"""Opening a partition directory: finish or undo interrupted work, then load the segments.

Order matters and every step is idempotent, so a crash during recovery is recovered by the
next open:
1. leftovers of interrupted writes go: `.tmp` checkpoints, `.deleted` segment files and
   uncommitted compaction output (`.cleaned`);
2. committed compaction output (`.swap`) replaces the segments it covers, as in Kafka;
3. each `.log` is opened. After a clean shutdown its indexes are trusted once they pass a
   sanity check. After a crash, the segments from the one holding the recovery point onward
   are rescanned with CRC checks and rebuilt; so is any segment whose index is missing or
   fails its check. The first segment cut short ends the log: later segments are deleted.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from kanal.errors import CorruptRecord
from kanal.topic_config import TopicConfig

from kanal_broker.log.batch_scan import scan_batches
from kanal_broker.log.checkpoint import PartitionCheckpoint, consume_clean_shutdown
from kanal_broker.log.files import (
    CLEANED_SUFFIX,
    DELETED_SUFFIX,
    INDEX_SUFFIX,
    LOG_SUFFIX,
    SEGMENT_SUFFIXES,
    SWAP_SUFFIX,
    TIME_INDEX_SUFFIX,
    TMP_SUFFIX,
    base_offset_of,
    fsync_directory,
    remove_quietly,
    segment_file,
)
from kanal_broker.log.segment import Segment

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RecoveryReport:
    segments_recovered: int
    bytes_truncated: int
    segments_dropped: int


def open_partition(
    directory: Path, config: TopicConfig, now_ms: int
) -> tuple[list[Segment], PartitionCheckpoint, RecoveryReport]:
    """Load (creating if new) a partition directory: its segments, never none, and the
    checkpoint they were recovered against."""
    directory.mkdir(parents=True, exist_ok=True)
    clean = consume_clean_shutdown(directory)
    checkpoint = PartitionCheckpoint.read(directory)
    segments, report = load_segments(
        directory, config, clean=clean, recovery_point=checkpoint.recovery_point, now_ms=now_ms
    )
    if not segments:
        segments = [open_segment(directory, checkpoint.log_start_offset, config, now_ms)]
    return segments, checkpoint, report


def open_segment(directory: Path, base_offset: int, config: TopicConfig, now_ms: int) -> Segment:
    return Segment(
        directory,
        base_offset,
        index_interval_bytes=config.index_interval_bytes,
        index_max_bytes=config.segment_index_bytes,
        created_ms=now_ms,
    )


def remove_leftovers(directory: Path) -> None:
    for path in directory.iterdir():
        if path.name.endswith((TMP_SUFFIX, DELETED_SUFFIX, CLEANED_SUFFIX)):
            remove_quietly(path)


def complete_swaps(directory: Path) -> set[int]:
    """Install committed compaction output; return the base offsets installed (their indexes
    must be rebuilt)."""
    installed: set[int] = set()
    for swap in sorted(directory.glob(f"*{LOG_SUFFIX}{SWAP_SUFFIX}")):
        base = base_offset_of(swap)
        if base is None:
            continue
        end = _next_offset_of(swap, base)
        for path in directory.glob(f"*{LOG_SUFFIX}"):
            old_base = base_offset_of(path)
            if old_base is not None and base <= old_base < max(end, base + 1):
                for suffix in SEGMENT_SUFFIXES:
                    remove_quietly(segment_file(directory, old_base, suffix))
        for suffix in (INDEX_SUFFIX, TIME_INDEX_SUFFIX):
            remove_quietly(segment_file(directory, base, suffix))
        os.replace(swap, segment_file(directory, base, LOG_SUFFIX))
        installed.add(base)
    if installed:
        fsync_directory(directory)
    return installed


def _next_offset_of(path: Path, base: int) -> int:
    next_offset = base
    fd = os.open(path, os.O_RDONLY)
    try:
        for _, header in scan_batches(fd, 0, os.fstat(fd).st_size, check_crc=False):
            next_offset = header.next_offset
    except CorruptRecord:
        pass
    finally:
        os.close(fd)
    return next_offset


def load_segments(
    directory: Path,
    config: TopicConfig,
    *,
    clean: bool,
    recovery_point: int,
    now_ms: int,
) -> tuple[list[Segment], RecoveryReport]:
    remove_leftovers(directory)
    must_rebuild = complete_swaps(directory)
    bases = sorted(
        base
        for path in directory.glob(f"*{LOG_SUFFIX}")
        if (base := base_offset_of(path)) is not None
    )
    for path in directory.iterdir():
        base = base_offset_of(path)
        if path.suffix in (INDEX_SUFFIX, TIME_INDEX_SUFFIX) and base not in bases:
            remove_quietly(path)
    scan_from = max((base for base in bases if base <= recovery_point), default=0)
    segments: list[Segment] = []
    recovered = truncated = 0
    for position, base in enumerate(bases):
        indexes_present = all(
            segment_file(directory, base, suffix).exists()
            for suffix in (INDEX_SUFFIX, TIME_INDEX_SUFFIX)
        )
        segment = open_segment(directory, base, config, now_ms)
        segments.append(segment)
        trusted = clean or base < scan_from
        if trusted and indexes_present and base not in must_rebuild and segment.load_clean():
            continue
        recovered += 1
        cut = segment.recover()
        segment.flush()  # the recovery point will cover what was rebuilt
        truncated += cut
        if cut:
            logger.warning("%s: cut %d bytes after a torn or corrupt batch", segment.log_path, cut)
            for later in bases[position + 1 :]:
                for suffix in SEGMENT_SUFFIXES:
                    remove_quietly(segment_file(directory, later, suffix))
            dropped = len(bases) - position - 1
            fsync_directory(directory)
            return segments, RecoveryReport(recovered, truncated, dropped)
    return segments, RecoveryReport(recovered, truncated, 0)
