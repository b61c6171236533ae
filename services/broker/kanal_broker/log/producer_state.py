"""Idempotent producers' state in one partition, after Kafka's ProducerStateManager.

Per producer id the broker keeps the producer epoch and the last `BATCHES_KEPT` batches
(first and last sequence, first and last offset). That is what an idempotent producer with
at most five requests in flight can retry, so a retried batch is found here and answered with
its original offsets instead of being written twice.

The state is a function of the log: followers build it from the batches they replicate, a
restart rebuilds it from the newest snapshot (producer_snapshot.py) plus the batches after
it, and truncation rebuilds it the same way. Only the leader validates (`check`).

Rules for a leader append (Kafka's, without transactions), per batch with a producer id:
- epoch older than the one known: INVALID_PRODUCER_EPOCH;
- same epoch, same (first, last) sequence as one of the kept batches: a duplicate;
- newer epoch (or a producer never seen): the first sequence must be 0;
- same epoch: the first sequence must follow the last one (modulo 2**31), else
  OUT_OF_ORDER_SEQUENCE_NUMBER.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kanal.errors import InvalidProducerEpoch, OutOfOrderSequenceNumber
from kanal.records.header import BatchHeader

BATCHES_KEPT = 5
SEQUENCE_MODULUS = 2**31


@dataclass(frozen=True, slots=True)
class BatchMetadata:
    first_seq: int
    last_seq: int
    first_offset: int
    last_offset: int


@dataclass(slots=True)
class ProducerEntry:
    epoch: int
    batches: list[BatchMetadata] = field(default_factory=list)
    """Oldest first, at most BATCHES_KEPT."""

    def copy(self) -> ProducerEntry:
        return ProducerEntry(self.epoch, list(self.batches))

    def record(self, epoch: int, batch: BatchMetadata) -> None:
        if epoch != self.epoch:
            self.epoch = epoch
            self.batches.clear()
        self.batches.append(batch)
        del self.batches[:-BATCHES_KEPT]

    def duplicate_of(self, epoch: int, first_seq: int, last_seq: int) -> BatchMetadata | None:
        if epoch != self.epoch:
            return None
        for batch in self.batches:
            if batch.first_seq == first_seq and batch.last_seq == last_seq:
                return batch
        return None


def last_sequence_of(header: BatchHeader) -> int:
    return (header.base_sequence + header.last_offset_delta) % SEQUENCE_MODULUS


def metadata_of(header: BatchHeader) -> BatchMetadata:
    """The batch as the state keeps it; `header` carries its offsets in the log."""
    return BatchMetadata(header.base_sequence, last_sequence_of(header),
                         header.base_offset, header.last_offset)


def _is_tracked(header: BatchHeader) -> bool:
    return header.has_producer_id and not header.is_control


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A leader append that repeats a batch already in the log: answer with its offsets."""

    first_offset: int
    last_offset: int


class ProducerStateManager:
    def __init__(self) -> None:
        self._producers: dict[int, ProducerEntry] = {}
        self.end_offset = 0
        """The log offset the state reflects: every batch below it has been applied."""

    @property
    def producers(self) -> dict[int, ProducerEntry]:
        return self._producers

    def entries(self) -> Iterator[tuple[int, ProducerEntry]]:
        return iter(sorted(self._producers.items()))

    def reset(self, end_offset: int, producers: dict[int, ProducerEntry] | None = None) -> None:
        self._producers = producers if producers is not None else {}
        self.end_offset = end_offset

    def check(self, headers: Iterable[BatchHeader]) -> Duplicate | None:
        """Validate a leader append (headers with their offsets already assigned), without
        changing the state. A request is appended whole or not at all, so a retried request
        repeats only batches already in the log: then its offsets are returned. A request
        mixing repeated and new batches is out of order. Raises InvalidProducerEpoch or
        OutOfOrderSequenceNumber."""
        pending: dict[int, ProducerEntry] = {}
        repeated: list[BatchMetadata] = []
        fresh = 0
        for header in headers:
            if not _is_tracked(header):
                fresh += 1
                continue
            pid = header.producer_id
            entry = pending.get(pid)
            if entry is None:
                known = self._producers.get(pid)
                entry = known.copy() if known is not None else None
            last_seq = last_sequence_of(header)
            if entry is not None:
                found = entry.duplicate_of(header.producer_epoch, header.base_sequence, last_seq)
                if found is not None:
                    repeated.append(found)
                    continue
            fresh += 1
            if repeated:
                break
            _check_sequence(entry, header)
            if entry is None:
                entry = ProducerEntry(header.producer_epoch)
            entry.record(header.producer_epoch, metadata_of(header))
            pending[pid] = entry
        if not repeated:
            return None
        if fresh:
            raise OutOfOrderSequenceNumber(
                "the request repeats batches already appended and adds new ones")
        return Duplicate(repeated[0].first_offset, repeated[-1].last_offset)

    def apply(self, headers: Iterable[BatchHeader]) -> None:
        """Take appended batches (leader or follower) into the state, without checks."""
        for header in headers:
            self.end_offset = max(self.end_offset, header.next_offset)
            if not _is_tracked(header):
                continue
            entry = self._producers.get(header.producer_id)
            if entry is None:
                entry = self._producers[header.producer_id] = ProducerEntry(
                    header.producer_epoch)
            elif header.producer_epoch < entry.epoch:
                continue  # replicated history of a fenced epoch: the newer one stands
            entry.record(header.producer_epoch, metadata_of(header))


def _check_sequence(entry: ProducerEntry | None, header: BatchHeader) -> None:
    pid, epoch, first_seq = header.producer_id, header.producer_epoch, header.base_sequence
    if entry is not None and epoch < entry.epoch:
        raise InvalidProducerEpoch(
            f"producer {pid} epoch {epoch} is older than the current epoch {entry.epoch}")
    if entry is None or epoch > entry.epoch or not entry.batches:
        if first_seq != 0:
            raise OutOfOrderSequenceNumber(
                f"producer {pid} epoch {epoch}: the first batch must have sequence 0, "
                f"got {first_seq}")
        return
    expected = (entry.batches[-1].last_seq + 1) % SEQUENCE_MODULUS
    if first_seq != expected:
        raise OutOfOrderSequenceNumber(
            f"producer {pid} epoch {epoch}: expected sequence {expected}, got {first_seq}")
