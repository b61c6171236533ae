"""The partition's own checkpoint (`recovery-point`) and the clean-shutdown marker.

`recovery-point` is a small text file, replaced atomically:

    recovery_point 1200       every byte below this offset was fsynced with its indexes
    log_start_offset 300      the first offset readers may see (it can be above the first
                              segment's base after truncate_fully_and_start_at)
    high_watermark 1190       the last committed offset known, restored after a restart

`clean-shutdown` exists only between a completed `close()` and the next open. Its presence
means every segment and index was flushed and closed, so open need not scan anything; without
it, the segments from the one holding the recovery point onward are rescanned and cut at the
first torn batch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kanal.errors import KafkaStorageError

from kanal_broker.log.files import atomic_write, fsync_directory, remove_quietly

CHECKPOINT_FILE = "recovery-point"
CLEAN_SHUTDOWN_FILE = "clean-shutdown"


@dataclass(frozen=True, slots=True)
class PartitionCheckpoint:
    recovery_point: int = 0
    log_start_offset: int = 0
    high_watermark: int = 0

    def write(self, directory: Path) -> None:
        text = (
            f"recovery_point {self.recovery_point}\n"
            f"log_start_offset {self.log_start_offset}\n"
            f"high_watermark {self.high_watermark}\n"
        )
        atomic_write(directory / CHECKPOINT_FILE, text.encode())

    @classmethod
    def read(cls, directory: Path) -> PartitionCheckpoint:
        path = directory / CHECKPOINT_FILE
        if not path.exists():
            return cls()
        fields: dict[str, int] = {}
        try:
            for line in path.read_text().splitlines():
                name, value = line.split()
                fields[name] = int(value)
            return cls(**fields)
        except (ValueError, TypeError) as exc:
            raise KafkaStorageError(f"{path} is malformed: {exc}") from exc


def mark_clean_shutdown(directory: Path) -> None:
    fd = os.open(directory / CLEAN_SHUTDOWN_FILE, os.O_WRONLY | os.O_CREAT, 0o644)
    os.close(fd)
    fsync_directory(directory)


def consume_clean_shutdown(directory: Path) -> bool:
    """Whether the last close was clean; the marker is removed (durably) so that a crash of
    this run is seen as unclean by the next open."""
    path = directory / CLEAN_SHUTDOWN_FILE
    if not path.exists():
        return False
    remove_quietly(path)
    fsync_directory(directory)
    return True
