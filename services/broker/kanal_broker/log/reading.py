"""Reads over a partition's segments: fetch by offset and lookups by timestamp.

A fetch is served from one segment, as in Kafka: a single pread of up to max_bytes from the
batch holding the offset, cut back to whole batches below the limit offset.
"""

from __future__ import annotations

from kanal.records.header import iter_complete_batches
from kanal.types import Offset

from kanal_broker.log.results import ReadResult
from kanal_broker.log.segment import Segment
from kanal_broker.log.segment_set import SegmentSet


def read(
    segments: SegmentSet, offset: int, max_bytes: int, limit: int, min_one_batch: bool
) -> ReadResult:
    """Batches from the one holding `offset`; none starting at or above `limit`."""
    segment: Segment | None = segments.floor(offset) or segments.first
    while segment is not None and offset < limit:
        found = segment.find_batch(offset)
        if found is None:  # past the segment's last batch (a gap left by compaction)
            segment = segments.after(segment)
            continue
        position, header = found
        if header.base_offset >= limit:
            break
        data = segment.read(position, max(max_bytes, header.size if min_one_batch else 0))
        cut, next_offset = _whole_batches_below(data, limit)
        if cut:
            return ReadResult(data[:cut], Offset(header.base_offset), Offset(next_offset))
        break
    return ReadResult(b"", Offset(offset), Offset(offset))


def _whole_batches_below(data: bytes, limit: int) -> tuple[int, int]:
    """(bytes, next offset) of the whole batches at the start of `data` that begin below
    `limit`."""
    cut = 0
    next_offset = -1
    for position, header in iter_complete_batches(data):
        if header.base_offset >= limit:
            break
        cut = position + header.size
        next_offset = header.next_offset
    return cut, next_offset


def offset_for_timestamp(segments: SegmentSet, timestamp_ms: int) -> tuple[int, int] | None:
    for segment in segments:
        if segment.max_timestamp >= timestamp_ms:
            found = segment.find_by_timestamp(timestamp_ms)
            if found is not None:
                return found
    return None


def offset_of_max_timestamp(segments: SegmentSet) -> tuple[int, int] | None:
    best: Segment | None = None
    for segment in segments:
        if segment.max_timestamp >= 0 and (
            best is None or segment.max_timestamp > best.max_timestamp
        ):
            best = segment
    if best is None:
        return None
    return best.offset_of_max_timestamp, best.max_timestamp
