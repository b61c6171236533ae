"""One segment: a `.log` file of record batches plus its offset and time indexes.

Appends go to the end of the .log file (opened O_APPEND); reads use pread. The segment keeps
only a handful of numbers in memory (size, next offset, largest timestamp); everything per
batch lives in the files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from kanal.errors import CorruptRecord
from kanal.records.header import HEADER_SIZE, BatchHeader, iter_complete_batches, parse_header
from kanal.records.reader import decode_batch

from kanal_broker.log.batch_scan import RECOVERY_WINDOW, scan_batches
from kanal_broker.log.files import (
    DELETED_SUFFIX,
    INDEX_SUFFIX,
    LOG_SUFFIX,
    TIME_INDEX_SUFFIX,
    remove_quietly,
    segment_file,
    write_all,
)
from kanal_broker.log.offset_index import OffsetIndex
from kanal_broker.log.time_index import NO_TIMESTAMP, TimeIndex

# Index entries store offsets relative to the segment base as int32.
MAX_RELATIVE_OFFSET = 2**31 - 1


class Segment:
    def __init__(
        self,
        directory: Path,
        base_offset: int,
        *,
        index_interval_bytes: int,
        index_max_bytes: int,
        created_ms: int,
    ) -> None:
        self.directory = directory
        self.base_offset = base_offset
        self.index_interval_bytes = index_interval_bytes
        self.created_ms = created_ms
        self.log_path = segment_file(directory, base_offset, LOG_SUFFIX)
        self._fd = os.open(self.log_path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        self.size = os.fstat(self._fd).st_size
        self.offset_index = OffsetIndex(
            segment_file(directory, base_offset, INDEX_SUFFIX), base_offset, index_max_bytes
        )
        self.time_index = TimeIndex(
            segment_file(directory, base_offset, TIME_INDEX_SUFFIX), base_offset, index_max_bytes
        )
        self.next_offset = base_offset
        self.max_timestamp = NO_TIMESTAMP
        self.offset_of_max_timestamp = base_offset
        self._bytes_since_index_entry = 0
        self._first_batch_timestamp: int | None = None

    # -- loading ---------------------------------------------------------------------------

    def load_clean(self) -> bool:
        """Trust the indexes of a cleanly closed segment and read back the tail state.

        Return False if an index fails its sanity check or the tail does not parse; the
        caller then runs `recover`."""
        if not self.offset_index.is_sane(self.size):
            return False
        try:
            self._rescan_tail()
        except CorruptRecord:
            return False
        return self.time_index.is_sane(self.next_offset)

    def recover(self) -> int:
        """Rebuild both indexes from the log, checking every batch's CRC, and cut the file at
        the first torn or corrupt batch. Return the number of bytes cut."""
        self.offset_index.reset()
        self.time_index.reset()
        self.next_offset = self.base_offset
        self.max_timestamp = NO_TIMESTAMP
        self.offset_of_max_timestamp = self.base_offset
        self._bytes_since_index_entry = 0
        valid_end = 0
        try:
            for position, header in scan_batches(
                self._fd, 0, self.size, check_crc=True, window=RECOVERY_WINDOW
            ):
                if header.base_offset < self.next_offset or (
                    header.last_offset - self.base_offset > MAX_RELATIVE_OFFSET
                ):
                    break
                self._index_batch(position, header)
                valid_end = position + header.size
        except CorruptRecord:
            pass
        cut = self.size - valid_end
        if cut:
            os.ftruncate(self._fd, valid_end)
            self.size = valid_end
        self._write_final_time_entry()
        return cut

    def _rescan_tail(self) -> None:
        """Set next offset, largest timestamp and the bytes since the last index entry from
        the last index entries and the batches after them."""
        last_time = self.time_index.last_entry()
        if last_time is not None:
            self.max_timestamp, self.offset_of_max_timestamp = last_time
        last_index = self.offset_index.last_entry()
        start = 0 if last_index is None else last_index[1]
        self.next_offset = self.base_offset if last_index is None else last_index[0]
        self._bytes_since_index_entry = 0
        for position, header in scan_batches(self._fd, start, self.size, check_crc=False):
            if last_index is not None and position == start and header.base_offset != last_index[0]:
                # The last index entry does not point at its batch: the index is damaged.
                raise CorruptRecord(f"{self.offset_index.path}: last entry points elsewhere")
            self._bytes_since_index_entry += header.size
            self.next_offset = header.next_offset
            self._note_timestamp(header)

    # -- writing ---------------------------------------------------------------------------

    def append(self, batches: bytes | bytearray) -> None:
        """Write validated batches with assigned offsets and index them."""
        position = self.size
        write_all(self._fd, batches)
        for relative, header in iter_complete_batches(batches):
            self._index_batch(position + relative, header)
        self.size = position + len(batches)

    def _index_batch(self, position: int, header: BatchHeader) -> None:
        if position == 0:
            self._first_batch_timestamp = header.max_timestamp
        self._note_timestamp(header)
        if self._bytes_since_index_entry > self.index_interval_bytes and not self.indexes_full:
            self.offset_index.append(header.base_offset, position)
            self.time_index.maybe_append(self.max_timestamp, self.offset_of_max_timestamp)
            self._bytes_since_index_entry = 0
        self._bytes_since_index_entry += header.size
        self.next_offset = header.next_offset

    def _note_timestamp(self, header: BatchHeader) -> None:
        if header.max_timestamp > self.max_timestamp:
            self.max_timestamp = header.max_timestamp
            self.offset_of_max_timestamp = header.base_offset

    def _write_final_time_entry(self) -> None:
        self.time_index.maybe_append(self.max_timestamp, self.offset_of_max_timestamp)

    @property
    def indexes_full(self) -> bool:
        return self.offset_index.is_full or self.time_index.is_full

    @property
    def is_empty(self) -> bool:
        return self.size == 0

    def first_batch_timestamp(self) -> int | None:
        """The first batch's max timestamp, which segment.ms counts from on append."""
        if self._first_batch_timestamp is None and self.size:
            first = parse_header(os.pread(self._fd, HEADER_SIZE, 0))
            self._first_batch_timestamp = first.max_timestamp
        return self._first_batch_timestamp

    # -- reading ---------------------------------------------------------------------------

    def read(self, position: int, size: int) -> bytes:
        return os.pread(self._fd, max(0, min(size, self.size - position)), position)

    def find_batch(self, offset: int) -> tuple[int, BatchHeader] | None:
        """(position, header) of the first batch holding `offset` or later ones."""
        _, start = self.offset_index.lookup(offset)
        for position, header in scan_batches(self._fd, start, self.size, check_crc=False):
            if header.next_offset > offset:
                return position, header
        return None

    def find_by_timestamp(self, timestamp: int) -> tuple[int, int] | None:
        """(offset, timestamp) of the first record whose timestamp >= `timestamp`, as Kafka's
        ListOffsets answers. Only the one batch that holds it is decoded: the indexes and
        batch headers find the batch, and records inside a batch need not be in time order."""
        _, offset = self.time_index.lookup(timestamp)
        _, start = self.offset_index.lookup(offset)
        for position, header in scan_batches(self._fd, start, self.size, check_crc=False):
            if header.max_timestamp >= timestamp:
                _, records = decode_batch(os.pread(self._fd, header.size, position),
                                          check_crc=False)
                for record in records:
                    if record.timestamp >= timestamp:
                        return record.offset, record.timestamp
                return header.base_offset, header.max_timestamp
        return None

    def iter_batches(self, *, check_crc: bool = False) -> Iterator[tuple[int, BatchHeader]]:
        """(position, header) of every batch, read in large windows (compaction)."""
        return scan_batches(self._fd, 0, self.size, check_crc=check_crc, window=RECOVERY_WINDOW)

    # -- changing --------------------------------------------------------------------------

    def truncate_to(self, offset: int) -> int:
        """Drop the batches holding `offset` and later; return the bytes dropped."""
        found = self.find_batch(offset)
        if found is None:
            return 0
        position, header = found
        dropped = self.size - position
        os.ftruncate(self._fd, position)
        self.size = position
        self.offset_index.truncate_to(header.base_offset)
        self.time_index.truncate_to(header.base_offset)
        self.max_timestamp = NO_TIMESTAMP
        self.offset_of_max_timestamp = self.base_offset
        if position == 0:
            self._first_batch_timestamp = None
        self._rescan_tail()
        return dropped

    def seal(self) -> None:
        """Called when the segment stops being the active one: record the final largest
        timestamp and make the files durable."""
        self._write_final_time_entry()
        self.flush()

    def flush(self) -> None:
        os.fsync(self._fd)
        self.offset_index.flush()
        self.time_index.flush()

    def close(self) -> None:
        self._write_final_time_entry()
        self.abandon()

    def abandon(self) -> None:
        """Close the files as they are."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self.offset_index.close()
        self.time_index.close()

    def delete(self) -> None:
        """Remove the files; renamed to .deleted first so a crash leaves no half segment."""
        self.abandon()
        paths = (self.log_path, self.offset_index.path, self.time_index.path)
        doomed = [path.with_name(path.name + DELETED_SUFFIX) for path in paths]
        for path, target in zip(paths, doomed, strict=True):
            if path.exists():
                os.replace(path, target)
        for path in doomed:
            remove_quietly(path)

    def __repr__(self) -> str:
        return f"Segment(base={self.base_offset}, next={self.next_offset}, size={self.size})"
