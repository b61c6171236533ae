"""Small stand-ins for the worker's task contexts: what a task sees, over plain dicts.

They are the API's Protocols implemented the simplest way, so the connectors' tests drive
tasks exactly as the worker would (the worker itself is tested in tests/worker)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kanal.types import TopicPartition
from kanal_connect.api import (
    ErrantRecordReporter,
    SourceOffset,
    SourcePartition,
    SourceTask,
    partition_key,
)
from kanal_connect.data.record import SinkRecord, SourceRecord

PartitionKey = tuple[tuple[str, object], ...]


class DictOffsetReader:
    def __init__(self, stored: dict[PartitionKey, SourceOffset]) -> None:
        self.stored = stored

    async def offset(self, partition: SourcePartition) -> SourceOffset | None:
        return self.stored.get(partition_key(partition))

    async def offsets(
        self, partitions: Sequence[SourcePartition]
    ) -> dict[PartitionKey, SourceOffset]:
        keys = [partition_key(p) for p in partitions]
        return {key: self.stored[key] for key in keys if key in self.stored}


class SourceContext:
    def __init__(self, stored: dict[PartitionKey, SourceOffset] | None = None) -> None:
        self.stored: dict[PartitionKey, SourceOffset] = stored if stored is not None else {}
        self._reader = DictOffsetReader(self.stored)

    @property
    def offset_storage_reader(self) -> DictOffsetReader:
        return self._reader

    async def store(self, task: SourceTask, records: Sequence[SourceRecord], *,
                    commit: bool = True) -> None:
        """What the worker does once records are written: acknowledge each, store the
        offsets, then `commit` (which promises every record polled so far is stored: a
        crash in the middle is `commit=False`)."""
        for record in records:
            await task.commit_record(record)
            if record.source_partition is not None and record.source_offset is not None:
                self.stored[partition_key(record.source_partition)] = record.source_offset
        if commit:
            await task.commit()


class CollectingReporter:
    """Errant records as a dead letter queue would receive them."""

    def __init__(self) -> None:
        self.reported: list[tuple[SinkRecord, Exception]] = []

    async def report(self, record: SinkRecord, error: Exception) -> None:
        self.reported.append((record, error))


class SinkContext:
    def __init__(self, assignment: Sequence[TopicPartition] = (),
                 reporter: CollectingReporter | None = None) -> None:
        self._assignment = frozenset(assignment)
        self._reporter = reporter
        self.seeks: dict[TopicPartition, int] = {}
        self.commit_requested = False

    def offset(self, offsets: Mapping[TopicPartition, int]) -> None:
        self.seeks.update(offsets)

    def assignment(self) -> frozenset[TopicPartition]:
        return self._assignment

    def pause(self, *partitions: TopicPartition) -> None:
        pass

    def resume(self, *partitions: TopicPartition) -> None:
        pass

    def request_commit(self) -> None:
        self.commit_requested = True

    @property
    def errant_record_reporter(self) -> ErrantRecordReporter | None:
        return self._reporter


async def poll_until(task: SourceTask, count: int, *, attempts: int = 50) -> list[SourceRecord]:
    """Poll until at least `count` records came back (bounded by `attempts` polls)."""
    records: list[SourceRecord] = []
    for _ in range(attempts):
        if len(records) >= count:
            break
        records += await task.poll()
    return records


class ConnectorContextStub:
    """A connector's context for tests that only start and stop connectors."""

    def request_task_reconfiguration(self) -> None:
        raise AssertionError("not expected")

    def raise_error(self, error: Exception) -> None:
        raise error
