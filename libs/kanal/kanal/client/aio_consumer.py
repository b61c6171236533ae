"""The asyncio consumer, named and shaped like aiokafka's AIOKafkaConsumer
(`start`, `getone`, `getmany`, `async for`, `stop`)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

from kanal.client.config import ConsumerConfig, build_config
from kanal.client.consumer_core import ConsumerCore
from kanal.client.group_types import (
    ConsumerRebalanceListener,
    OffsetAndMetadata,
    as_offsets,
    pop_group_keys,
)
from kanal.client.offsets import OffsetAndTimestamp
from kanal.client.records import ConsumerRecord
from kanal.errors import ClientClosed, ConfigurationError
from kanal.types import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, TopicPartition


class AIOConsumer:
    def __init__(self, *topics: str, **configs: Any) -> None:
        self._group_keys = pop_group_keys(configs)
        self.config: ConsumerConfig = build_config(ConsumerConfig, configs)
        self._topics = topics
        self._timeout_s = self.config.connection.request_timeout_ms / 1000
        self._core: ConsumerCore | None = None
        self._pending: deque[ConsumerRecord] = deque()
        self._closed = False

    async def start(self) -> None:
        if self._closed:
            raise ClientClosed("the consumer is closed")
        if self._core is None:
            self._core = ConsumerCore(self.config, self._group_keys)
            if self._topics:
                self._core.subscribe(self._topics)
                await self._core.refresh_subscription()

    async def __aenter__(self) -> AIOConsumer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def _started(self) -> ConsumerCore:
        if self._core is None:
            raise ClientClosed("call `await consumer.start()` first")
        return self._core

    # ---- assignment and positions ---------------------------------------------------------

    def subscribe(self, topics: Iterable[str] = (), pattern: str | None = None,
                  listener: ConsumerRebalanceListener | None = None) -> None:
        """Topic names and/or a regex (full match, evaluated by the coordinator; needs a
        group_id, like `listener`, whose methods may be coroutines)."""
        self._pending.clear()
        self._started.subscribe(tuple(topics), pattern, listener)

    async def unsubscribe(self) -> None:
        """Stop consuming; with a group, leave it (committing first with auto-commit).
        A coroutine, unlike aiokafka's: leaving waits for the coordinator."""
        self._pending.clear()
        if self._started.group is not None:
            await self._started.unsubscribe_group()
        else:
            self._started.unsubscribe()

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        self._pending.clear()
        self._started.assign(TopicPartition(*tp) for tp in partitions)

    def assignment(self) -> set[TopicPartition]:
        return self._started.buffer.assignment()

    def _drop_pending(self, tps: Iterable[TopicPartition]) -> None:
        drop = set(tps)
        self._pending = deque(r for r in self._pending if (r.topic, r.partition) not in drop)

    def seek(self, partition: TopicPartition, offset: int) -> None:
        if offset < 0:
            raise ConfigurationError(f"seek offset must be >= 0, not {offset}")
        self._drop_pending([partition])
        self._started.buffer.seek(partition, offset)

    async def seek_to_beginning(self, *partitions: TopicPartition) -> None:
        tps = partitions or tuple(self.assignment())
        self._drop_pending(tps)
        for tp in tps:
            self._started.buffer.reset(tp, EARLIEST_TIMESTAMP)

    async def seek_to_end(self, *partitions: TopicPartition) -> None:
        tps = partitions or tuple(self.assignment())
        self._drop_pending(tps)
        for tp in tps:
            self._started.buffer.reset(tp, LATEST_TIMESTAMP)

    async def position(self, partition: TopicPartition) -> int:
        for record in self._pending:
            if record.topic == partition.topic and record.partition == partition.partition:
                return record.offset
        return await self._started.resolve_position(partition, self._timeout_s)

    # ---- records --------------------------------------------------------------------------

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: float = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[ConsumerRecord]]:
        """Records by partition: what is buffered, or the first to arrive in `timeout_ms`."""
        core = self._started
        if not partitions:
            return await self._getmany(core, timeout_ms, max_records)
        # Only these partitions: hold the others back for this call (aiokafka's semantics).
        others = core.buffer.assignment() - set(partitions) - core.buffer.paused()
        core.buffer.set_paused(others, True)
        try:
            return await self._getmany(core, timeout_ms, max_records)
        finally:
            core.buffer.set_paused(others & core.buffer.assignment(), False)

    async def _getmany(
        self, core: ConsumerCore, timeout_ms: float, max_records: int | None
    ) -> dict[TopicPartition, list[ConsumerRecord]]:
        limit = max_records or self.config.max_poll_records
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            core.data_event.clear()
            records = core.buffer.drain(limit)
            if records:
                if core.tracing is not None:
                    core.tracing.received(records)
                return records
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return {}
            try:
                await asyncio.wait_for(core.data_event.wait(), remaining)
            except TimeoutError:
                return {}

    async def getone(self, *partitions: TopicPartition) -> ConsumerRecord:
        """The next record (waiting as long as it takes)."""
        while not self._pending:
            batch = await self.getmany(*partitions, timeout_ms=1000)
            for records in batch.values():
                self._pending.extend(records)
        return self._pending.popleft()

    def __aiter__(self) -> AIOConsumer:
        return self

    async def __anext__(self) -> ConsumerRecord:
        tracing = self._core.tracing if self._core is not None else None
        if tracing is None:
            return await self._next_record()
        try:
            record = await self._next_record()
        except BaseException:
            tracing.process(None)
            raise
        tracing.process(record)
        return record

    async def _next_record(self) -> ConsumerRecord:
        if self._pending:
            return self._pending.popleft()
        idle_limit = self.config.consumer_timeout_ms / 1000
        started = time.monotonic()
        while not self._pending:
            remaining = idle_limit - (time.monotonic() - started)
            if remaining <= 0 or self._closed:
                raise StopAsyncIteration
            batch = await self.getmany(timeout_ms=min(remaining, 1.0) * 1000)
            for records in batch.values():
                self._pending.extend(records)
        return self._pending.popleft()

    # ---- lookups --------------------------------------------------------------------------

    async def beginning_offsets(
        self, partitions: Iterable[TopicPartition]
    ) -> dict[TopicPartition, int]:
        return await self._started.edge_offsets(list(partitions), False, self._timeout_s)

    async def end_offsets(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        return await self._started.edge_offsets(list(partitions), True, self._timeout_s)

    async def offsets_for_times(
        self, timestamps: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, OffsetAndTimestamp | None]:
        return await self._started.list_offsets(dict(timestamps), self._timeout_s)

    async def partitions_for_topic(self, topic: str) -> set[int] | None:
        return await self._started.partitions_for_topic(topic, self._timeout_s)

    async def topics(self) -> set[str]:
        return await self._started.topics()

    async def commit(self, offsets: Mapping[TopicPartition, OffsetAndMetadata | int] | None = None
                     ) -> None:
        """Commit `offsets` (the next offsets to consume), or the consumed positions of every
        assigned partition. Needs a group_id."""
        group = self._started.group_or_fail()
        await group.commit(None if offsets is None else as_offsets(offsets))

    def commit_async(self, offsets: Mapping[TopicPartition, OffsetAndMetadata | int] | None = None
                     ) -> asyncio.Task[None]:
        """commit() as a task (keep it, or its failure is only logged by asyncio)."""
        return asyncio.create_task(self.commit(offsets), name="consumer-commit")

    async def committed(self, partition: TopicPartition) -> int | None:
        """The group's committed offset of `partition` (None when nothing is committed)."""
        tp = TopicPartition(*partition)
        found = await self._started.group_or_fail().committed([tp])
        value = found.get(tp)
        return None if value is None else value.offset

    async def stop(self, autocommit: bool = True) -> None:
        """Leave the group (committing first unless autocommit=False or
        enable_auto_commit=False), then stop."""
        self._closed = True
        if self._core is not None:
            core, self._core = self._core, None
            await core.close(autocommit=autocommit)

    close = stop
