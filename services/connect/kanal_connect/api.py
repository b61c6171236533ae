"""The connector plugin API: what a source or sink connector implements, in asyncio.

Kafka Connect's Java interfaces (`SourceConnector`, `SourceTask`, `SinkTask`, ...) carried
over with the same life cycle, so connector authors keep their habits:

- a *connector* validates its config, is started once per cluster (on one worker) and splits
  its work into at most `tasks.max` task configs;
- a *task* does the data movement: a source task's `poll` returns records whose
  `source_partition`/`source_offset` the worker stores in `connect-offsets` after they are
  written; a sink task's `put` receives records consumed by the worker, and `pre_commit` says
  which consumer offsets may be committed.

Every method is a coroutine, and the worker calls a task's methods from one asyncio task, so a
task needs no locks. Blocking work (a driver without asyncio support, large file reads) goes
through `asyncio.to_thread`: the worker's loop also serves REST and heartbeats.

Plugins are discovered through the entry point group `kanal.connect.connectors` (name: the
short class name, e.g. `FileStreamSource`); `aliases` lets a plugin answer to Kafka's Java
class names too (`org.apache.kafka.connect.file.FileStreamSourceConnector`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import ClassVar, Protocol

from kanal.types import TopicPartition

from kanal_connect.config.definition import ConfigDef
from kanal_connect.data.record import SinkRecord, SourceRecord
from kanal_connect.errors import RetriableError

ENTRY_POINT_GROUP = "kanal.connect.connectors"

__all__ = ["RetriableError"]  # re-exported: tasks raise it from `put` and `poll`

SourcePartition = Mapping[str, object]
SourceOffset = Mapping[str, object]


class ConnectorContext(Protocol):
    def request_task_reconfiguration(self) -> None:
        """Ask the worker to call `task_configs` again (e.g. a new table appeared)."""

    def raise_error(self, error: Exception) -> None:
        """Fail the connector from a background activity of its own."""


class OffsetStorageReader(Protocol):
    async def offset(self, partition: SourcePartition) -> SourceOffset | None:
        """The last offset the worker stored for `partition`, or None."""

    async def offsets(
        self, partitions: Sequence[SourcePartition]
    ) -> dict[tuple[tuple[str, object], ...], SourceOffset]:
        """Stored offsets keyed by `partition_key(partition)`; missing ones are absent."""


def partition_key(partition: SourcePartition) -> tuple[tuple[str, object], ...]:
    """A hashable form of a source partition (the JSON key `connect-offsets` uses is this,
    serialised), so a dict can be looked up by partition."""
    return tuple(sorted(partition.items()))


class SourceTaskContext(Protocol):
    @property
    def offset_storage_reader(self) -> OffsetStorageReader: ...


class ErrantRecordReporter(Protocol):
    async def report(self, record: SinkRecord, error: Exception) -> None:
        """Send a bad record to the dead letter queue (or fail, by `errors.tolerance`)."""


class SinkTaskContext(Protocol):
    def offset(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Reset the worker's consumer positions (a sink that stores its offsets in the
        target system calls this from `open` to resume exactly where its data ends)."""

    def assignment(self) -> frozenset[TopicPartition]: ...

    def pause(self, *partitions: TopicPartition) -> None: ...

    def resume(self, *partitions: TopicPartition) -> None: ...

    def request_commit(self) -> None: ...

    @property
    def errant_record_reporter(self) -> ErrantRecordReporter | None: ...


class Task(ABC):
    @abstractmethod
    def version(self) -> str: ...

    @abstractmethod
    async def stop(self) -> None:
        """Release resources; called once, also after a failure."""


class SourceTask(Task):
    @abstractmethod
    async def start(self, props: Mapping[str, str], context: SourceTaskContext) -> None: ...

    @abstractmethod
    async def poll(self) -> list[SourceRecord]:
        """The next records; may wait a bounded time (about a second) and return [] when
        idle, so the worker can stop or pause the task promptly."""

    async def commit(self) -> None:
        """The offsets of every record returned so far are stored (an acknowledgement
        point: a CDC task confirms its replication slot here)."""

    async def commit_record(self, record: SourceRecord) -> None:
        """`record` was written to its topic (acknowledged by the broker)."""


class SinkTask(Task):
    @abstractmethod
    async def start(self, props: Mapping[str, str], context: SinkTaskContext) -> None: ...

    @abstractmethod
    async def put(self, records: Sequence[SinkRecord]) -> None:
        """Write (or buffer) `records`; raising RetriableError asks for a redelivery."""

    async def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        """Make everything `put` so far durable."""

    async def pre_commit(
        self, current_offsets: Mapping[TopicPartition, int]
    ) -> Mapping[TopicPartition, int]:
        """The consumer offsets the worker may commit (next offset to read per partition)."""
        await self.flush(current_offsets)
        return current_offsets

    async def open(self, partitions: Sequence[TopicPartition]) -> None:
        """Partitions newly assigned to this task."""

    async def close(self, partitions: Sequence[TopicPartition]) -> None:
        """Partitions taken from this task (flush what belongs to them)."""


class Connector(ABC):
    """Kafka's `Connector`: `aliases` lists Java class names it also answers to."""

    aliases: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def version(self) -> str: ...

    @abstractmethod
    def config_def(self) -> ConfigDef: ...

    @abstractmethod
    async def start(self, props: Mapping[str, str], context: ConnectorContext) -> None: ...

    @abstractmethod
    def task_class(self) -> type[Task]: ...

    @abstractmethod
    def task_configs(self, max_tasks: int) -> list[dict[str, str]]: ...

    @abstractmethod
    async def stop(self) -> None:
        """Release what `start` acquired."""

    def validate_extra(self, props: Mapping[str, str]) -> dict[str, list[str]]:
        """Cross-field checks beyond `config_def` (e.g. `delete.enabled` needs
        `pk.mode=record_key`): per-key messages, empty when valid."""
        return {}


class SourceConnector(Connector):
    @abstractmethod
    def task_class(self) -> type[SourceTask]: ...


class SinkConnector(Connector):
    @abstractmethod
    def task_class(self) -> type[SinkTask]: ...
