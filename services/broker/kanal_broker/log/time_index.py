"""The sparse time index of one segment (`.timeindex`), mapping timestamps to offsets.

Entry layout (12 bytes, big-endian):

    0  timestamp        int64   the largest batch timestamp seen so far in the segment
    8  relative_offset  int32   base offset of the batch that first reached it - base offset

Entries are written next to offset-index entries, and only when the largest timestamp grew,
so both columns increase. Every batch before an entry's offset has a smaller timestamp; a
search for T starts at the last entry with timestamp <= T. On roll and close one more entry
records the segment's final maximum, which a clean open reads back instead of scanning.
"""

from __future__ import annotations

import struct
from pathlib import Path

from kanal_broker.log.index_file import IndexFile

_ENTRY = struct.Struct(">qi")
ENTRY_SIZE = _ENTRY.size
NO_TIMESTAMP = -1


class TimeIndex:
    def __init__(self, path: Path, base_offset: int, max_bytes: int) -> None:
        self.base_offset = base_offset
        self._file = IndexFile(path, _ENTRY, max_bytes)

    @property
    def path(self) -> Path:
        return self._file.path

    @property
    def entries(self) -> int:
        return self._file.entries

    @property
    def is_full(self) -> bool:
        return self._file.is_full

    def last_entry(self) -> tuple[int, int] | None:
        """(timestamp, offset) of the last entry."""
        entry = self._file.last()
        return None if entry is None else (entry[0], self.base_offset + entry[1])

    def maybe_append(self, timestamp: int, offset: int) -> None:
        """Add (timestamp, offset) unless the timestamp does not exceed the last entry's."""
        last = self._file.last()
        if last is not None and (timestamp <= last[0] or offset - self.base_offset < last[1]):
            return
        if timestamp == NO_TIMESTAMP:
            return
        self._file.append_entry(timestamp, offset - self.base_offset)

    def lookup(self, timestamp: int) -> tuple[int, int]:
        """(timestamp, offset) of the last entry with timestamp <= `timestamp`; the segment
        start with NO_TIMESTAMP if there is none."""
        found = self._file.floor_index(timestamp, lambda entry: entry[0])
        if found < 0:
            return NO_TIMESTAMP, self.base_offset
        ts, relative = self._file.entry(found)
        return ts, self.base_offset + relative

    def truncate_to(self, offset: int) -> None:
        """Drop the entries for `offset` and later."""
        self._file.truncate_entries(
            self._file.floor_index(offset - self.base_offset - 1, lambda entry: entry[1]) + 1
        )

    def is_sane(self, next_offset: int) -> bool:
        if not self._file.whole_entries:
            return False
        last = self._file.last()
        return last is None or 0 <= last[1] < max(next_offset - self.base_offset, 1)

    def reset(self) -> None:
        self._file.reset()

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def rename(self, path: Path) -> None:
        self._file.rename(path)
