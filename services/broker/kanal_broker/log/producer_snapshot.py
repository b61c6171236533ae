"""Producer-state snapshot files: `{offset:020d}.snapshot`, the state of every producer as of
that log offset (every batch below it applied).

Written atomically (tmp + rename) when a segment rolls and when the log closes, so a restart
reads the newest snapshot at or below the log end and rescans only the batches after it.
The content is JSON with a format version:

    {"version": 1, "end_offset": N,
     "producers": [[producer_id, epoch, [[first_seq, last_seq, first_offset, last_offset],
                                         ...]], ...]}

A snapshot that cannot be parsed is deleted and the next older one is used.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from kanal.records.header import BatchHeader

from kanal_broker.log.files import atomic_write, base_offset_of, remove_quietly
from kanal_broker.log.producer_state import BatchMetadata, ProducerEntry, ProducerStateManager
from kanal_broker.log.segment import Segment

SNAPSHOT_SUFFIX = ".snapshot"
_VERSION = 1

logger = logging.getLogger(__name__)


def snapshot_path(directory: Path, offset: int) -> Path:
    return directory / f"{offset:020d}{SNAPSHOT_SUFFIX}"


def snapshot_offsets(directory: Path) -> list[int]:
    """The offsets of the snapshots in `directory`, ascending."""
    return sorted(
        offset
        for path in directory.glob(f"*{SNAPSHOT_SUFFIX}")
        if (offset := base_offset_of(path)) is not None
    )


def write_snapshot(directory: Path, state: ProducerStateManager) -> None:
    producers = [
        [pid, entry.epoch, [[b.first_seq, b.last_seq, b.first_offset, b.last_offset]
                            for b in entry.batches]]
        for pid, entry in state.entries()
    ]
    document = {"version": _VERSION, "end_offset": state.end_offset, "producers": producers}
    atomic_write(snapshot_path(directory, state.end_offset),
                 json.dumps(document, separators=(",", ":")).encode())


def load_latest(directory: Path, state: ProducerStateManager, *, at_most: int) -> bool:
    """Load the newest readable snapshot at or below `at_most` into `state`; False (and an
    empty state at offset 0) when there is none."""
    for offset in reversed(snapshot_offsets(directory)):
        if offset > at_most:
            continue
        path = snapshot_path(directory, offset)
        try:
            producers = _parse(path.read_bytes())
        except (OSError, ValueError, TypeError, KeyError) as exc:
            logger.warning("%s: unreadable producer snapshot (%s); deleting it", path, exc)
            remove_quietly(path)
            continue
        state.reset(offset, producers)
        return True
    state.reset(0)
    return False


def _parse(data: bytes) -> dict[int, ProducerEntry]:
    document = json.loads(data)
    if document["version"] != _VERSION:
        raise ValueError(f"snapshot version {document['version']}")
    producers: dict[int, ProducerEntry] = {}
    for pid, epoch, batches in document["producers"]:
        producers[int(pid)] = ProducerEntry(
            int(epoch), [BatchMetadata(*(int(v) for v in batch)) for batch in batches])
    return producers


def delete_above(directory: Path, offset: int) -> None:
    """Snapshots past `offset` describe batches a truncation removed."""
    for found in snapshot_offsets(directory):
        if found > offset:
            remove_quietly(snapshot_path(directory, found))


def delete_older_than(directory: Path, log_start: int) -> None:
    """Keep the newest snapshot at or below the log start (it holds producers whose batches
    retention deleted) and every later one."""
    offsets = snapshot_offsets(directory)
    keep_from = max((o for o in offsets if o <= log_start), default=None)
    for found in offsets:
        if keep_from is not None and found < keep_from:
            remove_quietly(snapshot_path(directory, found))


def headers_from(segments: Iterable[Segment], start: int) -> Iterator[BatchHeader]:
    """Headers of the batches at or after offset `start` (a batch boundary), in order."""
    for segment in segments:
        if segment.next_offset <= start:
            continue
        for _, header in segment.iter_batches():
            if header.base_offset >= start:
                yield header


def rebuild(directory: Path, state: ProducerStateManager, segments: Iterable[Segment], *,
            log_end: int) -> None:
    """Newest snapshot at or below the log end, then the batches after it. Snapshots past
    the log end describe batches a crash or truncation lost: they go first, so they are
    never read once the log grows past them again with other batches."""
    delete_above(directory, log_end)
    load_latest(directory, state, at_most=log_end)
    state.apply(headers_from(segments, state.end_offset))
    state.end_offset = log_end
