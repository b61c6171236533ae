"""The leader's latest appends, as stored, so in-sync followers fetch them from memory.

An in-sync follower asks for what the leader appended a moment ago. Reading it back from the
segment costs a trip through the log's lock and the executor per follower, on the acks=all
critical path; the bytes were in hand when they were appended. Each chunk is what one
append wrote (whole batches with their final offsets and epochs, read back in the same
executor call), and chunks are contiguous: the cache is a suffix of the log.

Served only where it is exact, else the caller reads the log:
- the chunks end at the published log end (an append whose chunk is not added yet, or a
  truncation, makes the cache miss rather than answer short);
- the fetch offset is a chunk's start (followers fetch from a batch boundary, their log end);
- the fetch offset is at or above the high watermark: the log cleaner and retention never
  touch offsets above it, so the stored bytes there are still these bytes;
- at least the first chunk fits the byte budget (then chunks are added while they fit).
Bounded by `max_bytes`, oldest chunks dropped first. Cleared whenever the leader epoch
changes (`clear`), since a follower's truncation may have replaced the log's tail meanwhile.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

DEFAULT_MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Chunk:
    first_offset: int
    end_offset: int
    """The offset after the chunk's last record."""
    data: bytes


class RecentAppends:
    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._max_bytes = max_bytes
        self._chunks: deque[Chunk] = deque()
        self._bytes = 0

    @property
    def end_offset(self) -> int | None:
        return self._chunks[-1].end_offset if self._chunks else None

    def add(self, chunk: Chunk) -> None:
        if not chunk.data:
            return
        if self._chunks and self._chunks[-1].end_offset != chunk.first_offset:
            self.clear()  # not contiguous with the log's tail as known: start over
        self._chunks.append(chunk)
        self._bytes += len(chunk.data)
        while self._bytes > self._max_bytes and len(self._chunks) > 1:
            self._bytes -= len(self._chunks.popleft().data)

    def clear(self) -> None:
        self._chunks.clear()
        self._bytes = 0

    def read(self, offset: int, max_bytes: int, *, log_end_offset: int,
             high_watermark: int) -> bytes | None:
        """The stored bytes from `offset` on (b"" at the log end), or None when the log must
        be read instead."""
        if offset < high_watermark or self.end_offset != log_end_offset:
            return None
        if offset == log_end_offset:
            return b""
        parts: list[bytes] = []
        used = 0
        for chunk in self._chunks:
            if parts:
                if used + len(chunk.data) > max_bytes:
                    break
            elif chunk.first_offset != offset:
                if chunk.first_offset > offset:
                    return None
                continue
            elif len(chunk.data) > max_bytes:
                return None
            parts.append(chunk.data)
            used += len(chunk.data)
        return b"".join(parts) if parts else None
