"""File naming and durable file operations of a partition directory.

A partition directory holds, for each segment, three files named after the segment's base
offset padded to 20 digits (so a directory listing sorts in offset order):

    00000000000000001234.log        the record batches, byte for byte as produced
    00000000000000001234.index      sparse offset index   (offset_index.py)
    00000000000000001234.timeindex  sparse time index     (time_index.py)

Suffixes mark files in transit; recovery resolves each on open (recovery.py):

    .tmp      a checkpoint being written; deleted
    .deleted  a segment file being removed; deleted
    .cleaned  compaction output not yet committed; deleted
    .swap     committed compaction output; the segments it replaces are deleted and it is
              renamed to its final name
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

LOG_SUFFIX = ".log"
INDEX_SUFFIX = ".index"
TIME_INDEX_SUFFIX = ".timeindex"
TMP_SUFFIX = ".tmp"
DELETED_SUFFIX = ".deleted"
CLEANED_SUFFIX = ".cleaned"
SWAP_SUFFIX = ".swap"
SEGMENT_SUFFIXES = (LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX)


def segment_file(directory: Path, base_offset: int, suffix: str) -> Path:
    return directory / f"{base_offset:020d}{suffix}"


def base_offset_of(path: Path) -> int | None:
    """The base offset a segment file's name encodes, or None for other files."""
    stem = path.name.split(".", 1)[0]
    if len(stem) != 20 or not stem.isdigit():
        return None
    return int(stem)


def fsync_directory(directory: Path) -> None:
    """Make renames and unlinks in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so that a crash leaves either the old or the new content."""
    tmp = path.with_name(path.name + TMP_SUFFIX)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_directory(path.parent)


def write_all(fd: int, data: bytes | bytearray | memoryview) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def remove_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
