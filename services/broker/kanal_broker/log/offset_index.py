"""The sparse offset index of one segment (`.index`), mapping offsets to file positions.

Entry layout (8 bytes, big-endian), in increasing offset order:

    0  relative_offset  int32   base offset of a batch - the segment's base offset
    4  position         int32   byte position of that batch in the segment's .log file

An entry is added before a batch once more than index.interval.bytes of log were written since
the previous entry, so a lookup lands at most that many bytes before the wanted batch and the
rest is a short header scan.
"""

from __future__ import annotations

import struct
from pathlib import Path

from kanal_broker.log.index_file import IndexFile

_ENTRY = struct.Struct(">ii")
ENTRY_SIZE = _ENTRY.size


class OffsetIndex:
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

    def append(self, offset: int, position: int) -> None:
        self._file.append_entry(offset - self.base_offset, position)

    def last_entry(self) -> tuple[int, int] | None:
        """(offset, position) of the last entry."""
        entry = self._file.last()
        return None if entry is None else (self.base_offset + entry[0], entry[1])

    def lookup(self, offset: int) -> tuple[int, int]:
        """(offset, position) of the last entry at or before `offset`; the segment start if
        there is none."""
        found = self._file.floor_index(offset - self.base_offset, lambda entry: entry[0])
        if found < 0:
            return self.base_offset, 0
        relative, position = self._file.entry(found)
        return self.base_offset + relative, position

    def truncate_to(self, offset: int) -> None:
        """Drop the entries for `offset` and later."""
        self._file.truncate_entries(
            self._file.floor_index(offset - self.base_offset - 1, lambda entry: entry[0]) + 1
        )

    def is_sane(self, log_size: int) -> bool:
        """Whether the file can be trusted (checked on a clean open, as Kafka does: whole
        entries, and a last entry inside the segment)."""
        if not self._file.whole_entries:
            return False
        last = self._file.last()
        return last is None or (last[0] >= 0 and 0 <= last[1] < max(log_size, 1))

    def reset(self) -> None:
        self._file.reset()

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def rename(self, path: Path) -> None:
        self._file.rename(path)
