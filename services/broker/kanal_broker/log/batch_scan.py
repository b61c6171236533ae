"""Walking the record batches of a segment file without loading the file.

The file is read in windows with pread; only the window is in memory. With `check_crc` every
batch is read whole and its CRC checked (recovery); without it only headers are parsed
(lookups, which start from an index entry a few KiB before the target).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from kanal.errors import CorruptRecord
from kanal.records.header import (
    HEADER_SIZE,
    MAGIC,
    MIN_BATCH_LENGTH,
    BatchHeader,
    parse_header,
    validate_batch,
)

RECOVERY_WINDOW = 1 << 20
LOOKUP_WINDOW = 16 << 10


def scan_batches(
    fd: int, start: int, end: int, *, check_crc: bool, window: int = LOOKUP_WINDOW
) -> Iterator[tuple[int, BatchHeader]]:
    """Yield (file position, header) of each batch in [start, end).

    Raise CorruptRecord at the first batch that is torn (runs past `end`), malformed or, with
    `check_crc`, fails its CRC; everything yielded before that is sound."""
    buf = b""
    buf_start = start
    pos = start
    while pos < end:
        if end - pos < HEADER_SIZE:
            raise CorruptRecord(f"torn batch header at byte {pos}: {end - pos} bytes left")
        rel = pos - buf_start
        if len(buf) - rel < HEADER_SIZE:
            buf, buf_start, rel = os.pread(fd, min(window, end - pos), pos), pos, 0
        header = parse_header(buf, rel)
        if header.batch_length < MIN_BATCH_LENGTH or pos + header.size > end:
            raise CorruptRecord(
                f"torn batch at byte {pos}: declares {header.size} bytes, {end - pos} left"
            )
        if check_crc:
            if len(buf) - rel < header.size:
                size = min(max(window, header.size), end - pos)
                buf, buf_start, rel = os.pread(fd, size, pos), pos, 0
            validate_batch(buf, rel)
        elif header.magic != MAGIC:
            raise CorruptRecord(f"batch at byte {pos} has magic {header.magic}")
        yield pos, header
        pos += header.size
