"""The sink task loop: a consumer in group `connect-<connector>` -> converters -> transforms
-> `put`; every `offset.flush.interval` (or on `request_commit`, a revocation, a pause or
the stop) `pre_commit` names the offsets to commit and the consumer commits them. Seeks a
task asks for with `context.offset(...)` are applied before the next fetch."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
import traceback
from collections.abc import Mapping

from kanal import AIOConsumer, TopicPartition
from kanal.client.records import LOG_APPEND_TIME, ConsumerRecord

from kanal_connect.api import SinkTask
from kanal_connect.converters.base import SchemaAndValue
from kanal_connect.data.record import SinkRecord
from kanal_connect.errors import ConnectError, RetriableError
from kanal_connect.runtime.client_overrides import CONSUMER, client_settings
from kanal_connect.runtime.consumed_originals import ConsumedOriginals
from kanal_connect.runtime.converters import headers_from_kafka, prepare_sink_batch
from kanal_connect.runtime.error_handling import (
    ErrorSettings,
    FailureContext,
    Stage,
    ToleratedError,
)
from kanal_connect.runtime.sink_context import DeadLetterQueue, ErrantReporter, SinkContext
from kanal_connect.runtime.task_base import TaskRunner, TaskSetup
from kanal_connect.storage.status_store import State

log = logging.getLogger(__name__)

PUT_RETRY_BACKOFF_S = 0.5
POLL_TIMEOUT_MS = 500
# Converting a fetched chunk is tens of milliseconds of CPU. The sink's write in flight (a
# pipelined PostgresSink transaction is several round trips) and the consumer's next fetch
# move on only when this task yields, so each of their round trips would otherwise wait for
# the whole chunk: the worker then sat idle on them for a fifth of the time.
YIELD_EVERY_RECORDS = 64


class _Listener:
    def __init__(self, runner: SinkTaskRunner) -> None:
        self._runner = runner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._runner.partitions_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self._runner.partitions_assigned(assigned)


class SinkTaskRunner(TaskRunner):
    def __init__(self, setup: TaskSetup) -> None:
        super().__init__(setup)
        self._task: SinkTask | None = None
        self._consumer: AIOConsumer | None = None
        self._dlq: DeadLetterQueue | None = None
        self._current: dict[TopicPartition, int] = {}
        self._uncommitted = 0
        self._originals = ConsumedOriginals()
        self.context = SinkContext(set, None)
        # Held while a poll's records are delivered, which yields: a rebalance (the group's
        # heartbeat task calls the listener) waits for the records already counted in
        # `_current` to reach `put`, as Kafka's rebalances, run inside poll, always do.
        self._delivering = asyncio.Lock()

    async def execute(self) -> None:
        props = self.setup.connector_props
        task = self.setup.plugin.cls().task_class()()
        if not isinstance(task, SinkTask):
            raise ConnectError(f"{type(task).__name__} is not a SinkTask")
        self._task = task
        self._dlq = DeadLetterQueue(self.setup.bootstrap, ErrorSettings.from_props(props),
                                    props)
        reporter = ErrantReporter(self._dlq, self._originals, self.id.connector, self.id.task)
        consumer = self._consumer = AIOConsumer(**{
            "auto_offset_reset": "earliest",
            "client_id": f"connector-consumer-{self.id.connector}-{self.id.task}",
            **client_settings(props, CONSUMER),
            # What the worker's guarantees rest on (client_overrides refuses to change them).
            "bootstrap_servers": self.setup.bootstrap,
            "group_id": f"connect-{self.id.connector}", "enable_auto_commit": False,
        })
        await consumer.start()
        self.context = SinkContext(consumer.assignment, reporter)
        await task.start(self.setup.task_props, self.context)
        topics = [t.strip() for t in props.get("topics", "").split(",") if t.strip()]
        pattern = props.get("topics.regex", "").strip() or None
        consumer.subscribe(topics, pattern, listener=_Listener(self))
        for topic in topics:
            await self.setup.report_topic(self.id, topic)
        await self._report(State.RUNNING)
        last_commit = time.monotonic()
        while not self._stopping.is_set():
            await self.wait_while_paused()
            if self._stopping.is_set():
                break
            self._apply_seeks()
            await self.deliver(await consumer.getmany(timeout_ms=POLL_TIMEOUT_MS))
            due = time.monotonic() - last_commit >= self.setup.offset_flush_interval_s
            if due or self.context.commit_requested:
                await self.commit()
                last_commit = time.monotonic()
        await self.commit()

    async def on_pause(self) -> None:
        await self.commit()

    def _apply_seeks(self) -> None:
        assert self._consumer is not None
        seeks, self.context.pending_seeks = self.context.pending_seeks, {}
        assigned = self._consumer.assignment()
        for tp, offset in seeks.items():
            if tp in assigned:
                self._consumer.seek(tp, offset)
                self._current[tp] = offset

    async def deliver(self, batches: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        """One poll's records through the converters and transformations into `put`; a
        rebalance waits until they are there."""
        async with self._delivering:
            await self._deliver(batches)

    async def _deliver(self, batches: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        assert self._consumer is not None and self._task is not None
        records: list[SinkRecord] = []
        assert self.converters is not None
        await prepare_sink_batch(self.converters, batches.values(), self.errors)
        assigned = self._consumer.assignment()
        for tp, consumed in batches.items():
            if not consumed or tp not in assigned:  # revoked since: its next owner reads it
                continue
            if tp in self.context.paused:
                # Our consumer has no pause: rewind, and fetch again once resumed.
                self._consumer.seek(tp, consumed[0].offset)
                continue
            self.setup.metrics.sink_read.labels(*self.labels).inc(len(consumed))
            await self._convert_all(consumed, records)
            # Counted once converted: the lock keeps a commit from seeing them before `put`.
            self._current[tp] = consumed[-1].offset + 1
            self._uncommitted += len(consumed)
            self._originals.keep(tp, consumed)
        # Every poll, even an empty one, as Kafka's worker does: a task may act on time.
        await self._put(records)
        self.setup.metrics.offset_commit_lag.labels(*self.labels).set(self._uncommitted)

    async def _convert_all(self, consumed: list[ConsumerRecord], into: list[SinkRecord]
                           ) -> None:
        """Each record converted directly: `_convert` without its retry and tolerance
        machinery, which costs a few coroutines per record. Converters and transformations
        are pure, so a record whose direct conversion raised is simply converted again by
        `_convert`."""
        assert self.converters is not None
        key_to_connect = self.converters.key.to_connect
        value_to_connect = self.converters.value.to_connect
        transform = self.chain.apply
        for index, original in enumerate(consumed, 1):
            if not index % YIELD_EVERY_RECORDS:
                await asyncio.sleep(0)
            topic = original.topic
            try:
                record = transform(_sink_record(original, key_to_connect(topic, original.key),
                                                value_to_connect(topic, original.value)))
            except Exception:  # replayed stage by stage, through retries and tolerance
                record = await self._convert(original)
            if record is not None:
                into.append(record)

    async def _convert(self, original: ConsumerRecord) -> SinkRecord | None:
        assert self.converters is not None and self._dlq is not None
        converters = self.converters
        topic = original.topic

        def where() -> dict[str, object]:
            return {"topic": topic, "partition": original.partition, "offset": original.offset}

        stage = Stage.KEY_CONVERTER
        try:
            key = await self.errors.run(
                lambda: converters.key.to_connect(topic, original.key), stage, where
            )
            stage = Stage.VALUE_CONVERTER
            value = await self.errors.run(
                lambda: converters.value.to_connect(topic, original.value), stage, where
            )
            record = _sink_record(original, key, value)
            stage = Stage.TRANSFORMATION
            return await self.errors.run(lambda: self.chain.apply(record), stage, where)
        except ToleratedError as skipped:
            self.setup.metrics.record_failures.labels(*self.labels).inc()
            self.setup.metrics.records_skipped.labels(*self.labels).inc()
            if self._dlq.enabled:
                cause = skipped.__cause__ or skipped
                failure = FailureContext(
                    self.id.connector, self.id.task, stage, cause,
                    topic, original.partition, original.offset,
                )
                await self._dlq.send(original, failure)
            return None

    async def _put(self, records: list[SinkRecord]) -> None:
        assert self._task is not None
        while True:
            started = time.perf_counter()
            try:
                await self._task.put(records)
                break
            except RetriableError as error:
                # Kafka redelivers the same batch after a pause; it never drops it.
                log.warning("task %s put: retriable %s", self.id, error)
                if self._stopping.is_set():
                    raise
                await asyncio.sleep(PUT_RETRY_BACKOFF_S)
        metrics = self.setup.metrics
        metrics.sink_put_time.labels(*self.labels).observe(time.perf_counter() - started)
        metrics.sink_sent.labels(*self.labels).inc(len(records))

    async def commit(self, only: set[TopicPartition] | None = None) -> None:
        if self._task is None or self._consumer is None:
            return
        current = {tp: o for tp, o in self._current.items() if only is None or tp in only}
        if not current:
            return
        offsets = await self._task.pre_commit(current)
        self._forget_originals(offsets)
        assigned = self._consumer.assignment()
        committable = {tp: o for tp, o in offsets.items() if tp in assigned}
        if committable:
            await self._consumer.commit(committable)
            self.setup.metrics.offset_commits.labels(*self.labels).inc()
        if only is None:
            self._uncommitted = 0
        self.context.commit_requested = False

    def _forget_originals(self, done: Mapping[TopicPartition, int]) -> None:
        """Drop the consumed records below the offsets the task has finished with. They are
        kept until then, not per poll: a sink that buffers across puts (PostgresSink) may
        report a record of an earlier poll to the dead letter queue when it flushes."""
        self._originals.forget(done)

    async def partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        if self._task is not None:
            async with self._delivering:
                await self._task.open(sorted(assigned))

    async def partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        if self._task is None:
            return
        async with self._delivering:
            await self._revoke(revoked)

    async def _revoke(self, revoked: set[TopicPartition]) -> None:
        assert self._task is not None
        try:
            if not self._stopping.is_set():  # a stopping task committed in its loop
                await self.commit(revoked)
        except Exception as error:  # the next owner redelivers; log only
            log.warning("task %s: commit on revocation failed: %s", self.id,
                        "".join(traceback.format_exception_only(error)).strip())
        await self._task.close(sorted(revoked))
        for tp in revoked:
            self._current.pop(tp, None)
        self._forget_originals(dict.fromkeys(revoked, sys.maxsize))  # redelivered elsewhere

    async def close(self) -> None:
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task.stop()
        if self._consumer is not None:
            with contextlib.suppress(Exception):
                await self._consumer.stop(autocommit=False)
        if self._dlq is not None:
            await self._dlq.close()
        if self.converters is not None:
            await self.converters.aclose()


def _sink_record(original: ConsumerRecord, key: SchemaAndValue, value: SchemaAndValue
                 ) -> SinkRecord:
    return SinkRecord.consumed(
        original.topic, original.partition, original.offset, original.timestamp,
        "LogAppendTime" if original.timestamp_type == LOG_APPEND_TIME else "CreateTime",
        key.schema, key.value, value.schema, value.value,
        headers_from_kafka(original.headers) if original.headers else (),
    )
