"""A file of fixed-size, sorted index entries, searched with pread.

Entries are appended at the end and never rewritten; truncation cuts whole entries. Nothing
but the entry count and the last entry is kept in memory: a lookup binary-searches the file
(about 20 preads for a 10 MiB index, served from the page cache when hot).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from pathlib import Path


class IndexFile:
    """Fixed-size entries of `entry` layout in `path`; subclasses give them meaning."""

    def __init__(self, path: Path, entry: struct.Struct, max_bytes: int) -> None:
        self.path = path
        self._entry = entry
        self.max_entries = max(1, max_bytes // entry.size)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self._file_size = os.fstat(self._fd).st_size
        self.entries = self._file_size // entry.size

    @property
    def is_full(self) -> bool:
        return self.entries >= self.max_entries

    @property
    def whole_entries(self) -> bool:
        """False when the file ends in a partial entry (a torn write)."""
        return self._file_size % self._entry.size == 0

    def entry(self, index: int) -> tuple[int, ...]:
        size = self._entry.size
        data = os.pread(self._fd, size, index * size)
        if len(data) != size:
            raise OSError(f"{self.path}: entry {index} is beyond the end of the file")
        return tuple(self._entry.unpack(data))

    def last(self) -> tuple[int, ...] | None:
        return self.entry(self.entries - 1) if self.entries else None

    def append_entry(self, *fields: int) -> None:
        data = self._entry.pack(*fields)
        os.pwrite(self._fd, data, self.entries * self._entry.size)
        self.entries += 1
        self._file_size = self.entries * self._entry.size

    def floor_index(self, target: int, key: Callable[[tuple[int, ...]], int]) -> int:
        """Index of the last entry whose key is <= target, or -1 if there is none."""
        low, high = 0, self.entries - 1
        found = -1
        while low <= high:
            middle = (low + high) // 2
            if key(self.entry(middle)) <= target:
                found = middle
                low = middle + 1
            else:
                high = middle - 1
        return found

    def truncate_entries(self, count: int) -> None:
        count = max(0, min(count, self.entries))
        os.ftruncate(self._fd, count * self._entry.size)
        self.entries = count
        self._file_size = count * self._entry.size

    def reset(self) -> None:
        self.truncate_entries(0)

    def flush(self) -> None:
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def rename(self, path: Path) -> None:
        os.replace(self.path, path)
        self.path = path
