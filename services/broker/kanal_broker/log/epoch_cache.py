"""Leader epochs and the offset each began at (`leader-epoch-checkpoint`), as in Kafka.

A follower asks the leader where its last epoch ended (OffsetForLeaderEpoch) and truncates
anything after that, so a divergent tail written under an old leader is removed. The file is
Kafka's text format, replaced atomically on every change:

    0            format version
    2            number of entries
    3 0          epoch start_offset, in increasing order of both
    5 120
"""

from __future__ import annotations

import bisect
from pathlib import Path

from kanal.errors import KafkaStorageError
from kanal.types import LeaderEpoch, Offset

from kanal_broker.log.files import atomic_write

FILE_NAME = "leader-epoch-checkpoint"
_VERSION = 0
UNDEFINED_EPOCH = LeaderEpoch(-1)
UNDEFINED_OFFSET = Offset(-1)


class EpochCache:
    def __init__(self, directory: Path) -> None:
        self._path = directory / FILE_NAME
        self._entries: list[tuple[int, int]] = self._read()

    def _read(self) -> list[tuple[int, int]]:
        if not self._path.exists():
            return []
        lines = self._path.read_text().split("\n")
        try:
            if int(lines[0]) != _VERSION:
                raise ValueError(f"version {lines[0]}")
            count = int(lines[1])
            entries = [
                (int(epoch), int(offset))
                for epoch, offset in (line.split() for line in lines[2 : 2 + count])
            ]
        except (ValueError, IndexError) as exc:
            raise KafkaStorageError(f"{self._path} is malformed: {exc}") from exc
        if len(entries) != count:
            raise KafkaStorageError(f"{self._path} holds {len(entries)} of {count} entries")
        return entries

    def _write(self) -> None:
        lines = [str(_VERSION), str(len(self._entries))]
        lines += [f"{epoch} {offset}" for epoch, offset in self._entries]
        atomic_write(self._path, ("\n".join(lines) + "\n").encode())

    @property
    def entries(self) -> list[tuple[int, int]]:
        return list(self._entries)

    @property
    def latest_epoch(self) -> LeaderEpoch:
        return LeaderEpoch(self._entries[-1][0]) if self._entries else UNDEFINED_EPOCH

    def is_new(self, epoch: int) -> bool:
        """Whether `assign(epoch, ...)` would add an entry (and write the checkpoint)."""
        return epoch >= 0 and (not self._entries or epoch > self._entries[-1][0])

    def assign(self, epoch: int, start_offset: int) -> None:
        """Record that `epoch` starts at `start_offset` (ignored unless newer than the latest).
        Entries at or after `start_offset` belong to a replaced history and go."""
        if epoch < 0 or (self._entries and epoch <= self._entries[-1][0]):
            return
        while self._entries and self._entries[-1][1] >= start_offset:
            self._entries.pop()
        self._entries.append((epoch, start_offset))
        self._write()

    def start_offset(self, epoch: int) -> Offset | None:
        for entry_epoch, offset in self._entries:
            if entry_epoch == epoch:
                return Offset(offset)
        return None

    def end_offset_for(self, epoch: int, log_end_offset: int) -> tuple[LeaderEpoch, Offset]:
        """Kafka's OffsetForLeaderEpoch answer: the largest epoch <= `epoch` and the offset
        where it ended (the start of the next epoch, or the log end for the latest)."""
        if epoch < 0 or not self._entries:
            return UNDEFINED_EPOCH, UNDEFINED_OFFSET
        if epoch == self._entries[-1][0]:
            return LeaderEpoch(epoch), Offset(log_end_offset)
        epochs = [entry[0] for entry in self._entries]
        higher = bisect.bisect_right(epochs, epoch)
        if higher == len(epochs):
            return UNDEFINED_EPOCH, UNDEFINED_OFFSET
        end = Offset(self._entries[higher][1])
        if higher == 0:
            return LeaderEpoch(epoch), end
        return LeaderEpoch(epochs[higher - 1]), end

    def truncate_from_end(self, end_offset: int) -> None:
        """Forget epochs starting at or after `end_offset` (the log was truncated there)."""
        kept = [entry for entry in self._entries if entry[1] < end_offset]
        if kept != self._entries:
            self._entries = kept
            self._write()

    def truncate_from_start(self, start_offset: int) -> None:
        """The log now starts at `start_offset`: the epoch in force there starts there."""
        before = [entry for entry in self._entries if entry[1] <= start_offset]
        if not before:
            return
        kept = [(before[-1][0], start_offset)]
        kept += [entry for entry in self._entries if entry[1] > start_offset]
        if kept != self._entries:
            self._entries = kept
            self._write()

    def clear(self) -> None:
        if self._entries:
            self._entries = []
            self._write()
