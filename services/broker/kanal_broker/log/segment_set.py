"""The segments of a partition in offset order, with the active (last) one."""

from __future__ import annotations

import bisect
from collections.abc import Iterator

from kanal_broker.log.segment import Segment


class SegmentSet:
    """Sorted by base offset; a parallel list of base offsets serves bisection. Memory grows
    with the number of segments (one object each, as in Kafka), not with batches."""

    def __init__(self, segments: list[Segment]) -> None:
        self._segments = sorted(segments, key=lambda segment: segment.base_offset)
        self._bases = [segment.base_offset for segment in self._segments]

    def __iter__(self) -> Iterator[Segment]:
        return iter(list(self._segments))

    def __len__(self) -> int:
        return len(self._segments)

    @property
    def first(self) -> Segment:
        return self._segments[0]

    @property
    def active(self) -> Segment:
        return self._segments[-1]

    @property
    def closed(self) -> list[Segment]:
        """Every segment but the active one, oldest first."""
        return self._segments[:-1]

    @property
    def size_bytes(self) -> int:
        return sum(segment.size for segment in self._segments)

    def floor(self, offset: int) -> Segment | None:
        """The segment whose range holds `offset`: the last one starting at or before it."""
        index = bisect.bisect_right(self._bases, offset) - 1
        return self._segments[index] if index >= 0 else None

    def after(self, segment: Segment) -> Segment | None:
        index = bisect.bisect_right(self._bases, segment.base_offset)
        return self._segments[index] if index < len(self._segments) else None

    def from_offset(self, offset: int) -> list[Segment]:
        """The segments that may hold `offset` or later ones."""
        index = max(bisect.bisect_right(self._bases, offset) - 1, 0)
        return self._segments[index:]

    def add(self, segment: Segment) -> None:
        if segment.base_offset in self._bases:
            raise ValueError(f"a segment with base offset {segment.base_offset} exists")
        index = bisect.bisect_left(self._bases, segment.base_offset)
        self._bases.insert(index, segment.base_offset)
        self._segments.insert(index, segment)

    def remove(self, segment: Segment) -> None:
        index = self._segments.index(segment)
        del self._segments[index]
        del self._bases[index]

    def upper_bound(self, segment: Segment) -> int:
        """The first offset past `segment`: the next segment's base, or its own next offset."""
        following = self.after(segment)
        return following.base_offset if following is not None else segment.next_offset
