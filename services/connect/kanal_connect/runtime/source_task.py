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
from kanal.client.futures import BatchResult, FutureRecordMetadata

from kanal_connect.api import (
    OffsetStorageReader,
    SourceOffset,
    SourcePartition,
    SourceTask,
    partition_key,
)
from kanal_connect.data.record import SourceRecord
from kanal_connect.errors import ConnectError, RetriableError
from kanal_connect.runtime.client_overrides import PRODUCER, client_settings
from kanal_connect.runtime.converters import headers_to_kafka, prepare_source_batch
from kanal_connect.runtime.error_handling import Stage, ToleratedError
from kanal_connect.runtime.task_base import TaskRunner, TaskSetup
from kanal_connect.runtime.topic_creation import TopicCreator
from kanal_connect.storage.offset_store import ConnectorOffsetReader, OffsetStore
from kanal_connect.storage.status_store import State

log = logging.getLogger(__name__)

POLL_RETRY_BACKOFF_S = 0.5
Converted = tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]  # key, value, headers
# Bytes per producer batch. Kafka's 16 KiB holds six Debezium events with their schema
# envelopes (~2.5 KB each): the per-batch cost (a result, an encode, a CRC, a request) then
# dominated. A source task emits bursts of thousands of records, so batches fill at once.
PRODUCER_BATCH_BYTES = 256 * 1024


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
        self._producer = AIOProducer(**{
            "bootstrap_servers": self.setup.bootstrap, "acks": "all", "linger_ms": 5,
            "batch_size": PRODUCER_BATCH_BYTES,
            "client_id": f"connector-producer-{self.id.connector}-{self.id.task}",
            **client_settings(self.setup.connector_props, PRODUCER),
        })
        await self._producer.start()
        reader = ConnectorOffsetReader(self._offsets, self.id.connector)
        await task.start(self.setup.task_props, _Context(reader))
        await self._report(State.RUNNING)
        last_flush = time.monotonic()
        while not self._stopping.is_set():
            await self.wait_while_paused()
            if self._stopping.is_set():
                break
            started = time.perf_counter()
            try:
                records = await task.poll()
            except RetriableError as error:
                log.warning("task %s poll: retriable %s", self.id, error)
                await asyncio.sleep(POLL_RETRY_BACKOFF_S)
                continue
            metrics = self.setup.metrics
            if records:  # as Kafka's: the time to a batch, not idle polls' waits
                metrics.source_poll_time.labels(*self.labels).observe(
                    time.perf_counter() - started)
            metrics.source_polled.labels(*self.labels).inc(len(records))
            # Transform the whole batch first: a registry converter registers its distinct
            # schemas once per batch, so the per-record conversion stays synchronous.
            transformed: list[SourceRecord | None] = []
            for record in records:
                try:
                    transformed.append(self.chain.apply(record))
                except Exception:  # replayed through retries and tolerance (pure chains)
                    transformed.append(await self._transform(record))
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
        assert self._producer is not None
        if transformed is None:
            self._in_flight.append((None, record))
            return
        try:
            key, value, headers = self._convert_directly(transformed)
        except Exception:  # replayed stage by stage, through retries and tolerance
            converted = await self._convert(transformed)
            if converted is None:
                self._in_flight.append((None, record))
                return
            key, value, headers = converted
        topic = transformed.topic
        if topic not in self._topics:  # a topic already written to exists (saves an await)
            await self._creator.ensure(topic)
        future = await self._producer.send(
            topic, value, key, transformed.kafka_partition, transformed.timestamp, headers
        )
        self._in_flight.append((future, record))
        if topic not in self._topics:
            self._topics.add(topic)
            await self.setup.report_topic(self.id, topic)

    def _convert_directly(self, record: SourceRecord) -> Converted:
        """`_convert` without its retry and tolerance machinery, which costs a few
        coroutines per record. Converters are pure, so a record whose direct conversion
        raised is simply converted again by `_convert`."""
        assert self.converters is not None
        topic = record.topic
        return (self.converters.key.from_connect(topic, record.key_schema, record.key),
                self.converters.value.from_connect(topic, record.value_schema, record.value),
                headers_to_kafka(record.headers))

    async def _convert(self, record: SourceRecord) -> Converted | None:
        """Key, value and headers, each stage through retries and tolerance; None when a
        failure is tolerated (the record is skipped, its offset still stored in order)."""
        assert self.converters is not None
        converters = self.converters
        topic = record.topic
        try:
            key = await self.errors.run(
                lambda: converters.key.from_connect(topic, record.key_schema, record.key),
                Stage.KEY_CONVERTER,
            )
            value = await self.errors.run(
                lambda: converters.value.from_connect(topic, record.value_schema, record.value),
                Stage.VALUE_CONVERTER,
            )
            headers = await self.errors.run(
                lambda: headers_to_kafka(record.headers), Stage.HEADER_CONVERTER
            )
        except ToleratedError:
            self.setup.metrics.record_failures.labels(*self.labels).inc()
            self.setup.metrics.records_skipped.labels(*self.labels).inc()
            return None
        return key, value, headers

    async def commit_offsets(self) -> None:
        """Flush, wait for every acknowledgement, store the offsets, then `commit()`."""
        if self._producer is None or self._task is None or not self._in_flight:
            return
        in_flight, self._in_flight = self._in_flight, []
        await self._producer.flush()
        latest: dict[object, tuple[SourcePartition, SourceOffset]] = {}
        written = 0
        checked: BatchResult | None = None
        # A task's records mostly share one partition object: its key is computed once.
        keyed: tuple[SourcePartition | None, object] = (None, None)
        for future, record in in_flight:
            if future is not None:
                # The records of one producer batch share its outcome: awaiting the first of
                # them answers for the rest. A failed write fails the task, so its offset is
                # not stored.
                if future.batch_result is not checked:
                    await future
                    checked = future.batch_result
                written += 1
            await self._task.commit_record(record)
            partition = record.source_partition
            if partition is not None and record.source_offset is not None:
                if keyed[0] is not partition:
                    keyed = (partition, partition_key(partition))
                latest[keyed[1]] = (partition, record.source_offset)
        self.setup.metrics.source_written.labels(*self.labels).inc(written)
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

