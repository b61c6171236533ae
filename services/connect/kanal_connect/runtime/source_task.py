"""The source task loop: poll -> transforms -> converters -> producer; every
`offset.flush.interval` the producer is flushed, the newest offset of every source partition
whose records the broker acknowledged goes to `connect-offsets`, then `commit()` tells the
task (a CDC task confirms its slot there). A crash between the two replays records
(at-least-once), never skips them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from kanal import AIOProducer
from kanal.client.futures import FutureRecordMetadata

from kanal_connect.api import (
    OffsetStorageReader,
    SourceOffset,
    SourcePartition,
    SourceTask,
    partition_key,
)
from kanal_connect.data.record import SourceRecord
from kanal_connect.errors import ConnectError, RetriableError
from kanal_connect.runtime.converters import headers_to_kafka, prepare_source_batch
from kanal_connect.runtime.error_handling import Stage, ToleratedError
from kanal_connect.runtime.task_base import TaskRunner, TaskSetup
from kanal_connect.runtime.topic_creation import TopicCreator
from kanal_connect.storage.offset_store import ConnectorOffsetReader, OffsetStore
from kanal_connect.storage.status_store import State

log = logging.getLogger(__name__)

POLL_RETRY_BACKOFF_S = 0.5


class _Context:
    def __init__(self, reader: OffsetStorageReader) -> None:
        self._reader = reader

    @property
    def offset_storage_reader(self) -> OffsetStorageReader:
        return self._reader


class SourceTaskRunner(TaskRunner):
    def __init__(self, setup: TaskSetup, offsets: OffsetStore) -> None:
        super().__init__(setup)
        self._offsets = offsets
        self._task: SourceTask | None = None
        self._producer: AIOProducer | None = None
        self._in_flight: list[tuple[FutureRecordMetadata | None, SourceRecord]] = []
        self._topics: set[str] = set()
        self._creator = TopicCreator(setup.bootstrap, setup.connector_props)

    async def execute(self) -> None:
        task = self.setup.plugin.cls().task_class()()
        if not isinstance(task, SourceTask):
            raise ConnectError(f"{type(task).__name__} is not a SourceTask")
        self._task = task
        self._producer = AIOProducer(
            bootstrap_servers=self.setup.bootstrap, acks="all", linger_ms=5,
            client_id=f"connector-producer-{self.id.connector}-{self.id.task}",
        )
        await self._producer.start()
        reader = ConnectorOffsetReader(self._offsets, self.id.connector)
        await task.start(self.setup.task_props, _Context(reader))
        await self._report(State.RUNNING)
        last_flush = time.monotonic()
        while not self._stopping.is_set():
            await self.wait_while_paused()
            if self._stopping.is_set():
                break
            try:
                records = await task.poll()
            except RetriableError as error:
                log.warning("task %s poll: retriable %s", self.id, error)
                await asyncio.sleep(POLL_RETRY_BACKOFF_S)
                continue
            self.setup.metrics.source_polled.labels(*self.labels).inc(len(records))
            # Transform the whole batch first: a registry converter registers its distinct
            # schemas once per batch, so the per-record conversion stays synchronous.
            transformed = [await self._transform(record) for record in records]
            assert self.converters is not None
            await prepare_source_batch(self.converters, transformed, self.errors)
            for record, result in zip(records, transformed, strict=True):
                await self._send(record, result)
            # A busy task's awaits may all complete without suspending (buffer space, no
            # I/O): yield once per batch so heartbeats, REST and the other tasks still run.
            await asyncio.sleep(0)
            self.setup.metrics.offset_commit_lag.labels(*self.labels).set(len(self._in_flight))
            if time.monotonic() - last_flush >= self.setup.offset_flush_interval_s:
                await self.commit_offsets()
                last_flush = time.monotonic()
        await self.commit_offsets()

    async def on_pause(self) -> None:
        await self.commit_offsets()

    async def _transform(self, record: SourceRecord) -> SourceRecord | None:
        """The record after the transformations; None when they dropped it, or when it
        failed and is tolerated (its offset is still stored, in order)."""
        try:
            return await self.errors.run(lambda: self.chain.apply(record), Stage.TRANSFORMATION)
        except ToleratedError:
            self.setup.metrics.record_failures.labels(*self.labels).inc()
            self.setup.metrics.records_skipped.labels(*self.labels).inc()
            return None

    async def _send(self, record: SourceRecord, transformed: SourceRecord | None) -> None:
        assert self._producer is not None and self.converters is not None
        converters = self.converters
        if transformed is None:
            self._in_flight.append((None, record))
            return
        try:
            topic = transformed.topic
            key = await self.errors.run(
                lambda: converters.key.from_connect(
                    topic, transformed.key_schema, transformed.key),
                Stage.KEY_CONVERTER,
            )
            value = await self.errors.run(
                lambda: converters.value.from_connect(
                    topic, transformed.value_schema, transformed.value),
                Stage.VALUE_CONVERTER,
            )
            headers = await self.errors.run(
                lambda: headers_to_kafka(transformed.headers), Stage.HEADER_CONVERTER
            )
        except ToleratedError:
            self.setup.metrics.record_failures.labels(*self.labels).inc()
            self.setup.metrics.records_skipped.labels(*self.labels).inc()
            self._in_flight.append((None, record))
            return
        await self._creator.ensure(topic)
        future = await self._producer.send(
            topic, value, key, transformed.kafka_partition, transformed.timestamp, headers
        )
        self._in_flight.append((future, record))
        if topic not in self._topics:
            self._topics.add(topic)
            await self.setup.report_topic(self.id, topic)

    async def commit_offsets(self) -> None:
        """Flush, wait for every acknowledgement, store the offsets, then `commit()`."""
        if self._producer is None or self._task is None or not self._in_flight:
            return
        in_flight, self._in_flight = self._in_flight, []
        await self._producer.flush()
        latest: dict[object, tuple[SourcePartition, SourceOffset]] = {}
        for future, record in in_flight:
            if future is not None:
                await future  # a failed write fails the task: its offset is not stored
                self.setup.metrics.source_written.labels(*self.labels).inc()
            await self._task.commit_record(record)
            if record.source_partition is not None and record.source_offset is not None:
                latest[partition_key(record.source_partition)] = (
                    record.source_partition, record.source_offset
                )
        if latest:
            await self._offsets.write(self.id.connector, list(latest.values()))
        await self._task.commit()
        self.setup.metrics.offset_commits.labels(*self.labels).inc()
        self.setup.metrics.offset_commit_lag.labels(*self.labels).set(0)

    async def close(self) -> None:
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task.stop()
        if self._producer is not None:
            await self._producer.stop()
        if self.converters is not None:
            await self.converters.aclose()

