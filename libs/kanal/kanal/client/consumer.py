"""The sync consumer, named and shaped like kafka-python's KafkaConsumer.

A private event loop in a daemon thread fetches ahead; poll() and iteration take decoded
records from the fetch buffer in the caller's thread. Without a group_id a consumer given
topics reads every partition of them; with one, the group's coordinator assigns partitions
(the loop thread heartbeats, see group_membership.py) and positions are committed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from kanal.client.config import ConsumerConfig, build_config
from kanal.client.consumer_core import ConsumerCore
from kanal.client.group_types import (
    ConsumerRebalanceListener,
    OffsetAndMetadata,
    as_offsets,
    pop_group_keys,
)
from kanal.client.loop_thread import LoopThread
from kanal.client.offsets import OffsetAndTimestamp
from kanal.client.records import ConsumerRecord
from kanal.client.sync_facade import SyncFacade
from kanal.errors import ClientClosed, ConfigurationError
from kanal.types import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, TopicPartition

log = logging.getLogger(__name__)

_T = TypeVar("_T")


async def _create_core(config: ConsumerConfig, group_keys: dict[str, Any]) -> ConsumerCore:
    return ConsumerCore(config, group_keys)


class Consumer(SyncFacade):
    """`Consumer("topic", bootstrap_servers="h:p", auto_offset_reset="earliest", ...)`; see
    ConsumerConfig for every setting. Iterate it, or call poll()."""

    _closed_message = "the consumer is closed"

    def __init__(self, *topics: str, **configs: Any) -> None:
        group_keys = pop_group_keys(configs)
        self.config: ConsumerConfig = build_config(ConsumerConfig, configs)
        self._timeout_s = self.config.connection.request_timeout_ms / 1000
        self._thread = LoopThread(name="kanal-consumer")
        try:
            self._core = self._thread.run(_create_core(self.config, group_keys),
                                          self._timeout_s)
        except BaseException:
            self._thread.stop()
            raise
        self._buffer = self._core.buffer
        # Records poll() took for iteration but __next__ has not returned yet; positions
        # reported to the user (and committed) start at the first of them.
        self._pending: deque[ConsumerRecord] = deque()
        self._core.pending_positions = self._pending_positions
        self._closed = False
        if topics:
            self.subscribe(topics)

    def _pending_positions(self) -> dict[TopicPartition, int]:
        """Called from the loop thread: a copy of the deque is atomic under the GIL."""
        positions: dict[TopicPartition, int] = {}
        for record in list(self._pending):
            positions.setdefault(TopicPartition(record.topic, record.partition), record.offset)
        return positions

    # ---- assignment -----------------------------------------------------------------------

    async def _subscribe(self, topics: tuple[str, ...], pattern: str | None,
                         listener: ConsumerRebalanceListener | None) -> None:
        self._core.subscribe(topics, pattern, listener)

    async def _assign(self, tps: list[TopicPartition]) -> None:
        self._core.assign(tps)

    def subscribe(self, topics: Iterable[str] = (), pattern: str | None = None,
                  listener: ConsumerRebalanceListener | None = None) -> None:
        """Topic names and/or a regex (full match, evaluated by the coordinator; needs a
        group_id, like `listener`)."""
        self._pending.clear()
        self._run(self._subscribe(tuple(topics), pattern, listener))

    def unsubscribe(self) -> None:
        """Stop consuming; with a group, leave it (committing first with auto-commit)."""
        self._pending.clear()
        if self._core.group is not None:
            self._run(self._core.unsubscribe_group())
        else:
            self._run(self._assign([]))

    def subscription(self) -> set[str] | None:
        sub = self._core.subscription
        return set(sub) if sub is not None else None

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        self._pending.clear()
        self._run(self._assign([TopicPartition(*tp) for tp in partitions]))

    def assignment(self) -> set[TopicPartition]:
        return self._buffer.assignment()

    # ---- positions ------------------------------------------------------------------------

    def _drop_pending(self, tps: Iterable[TopicPartition]) -> None:
        drop = set(tps)
        self._pending = deque(r for r in self._pending if (r.topic, r.partition) not in drop)

    def seek(self, partition: TopicPartition, offset: int) -> None:
        if offset < 0:
            raise ConfigurationError(f"seek offset must be >= 0, not {offset}")
        self._drop_pending([partition])
        self._buffer.seek(partition, offset)

    def seek_to_beginning(self, *partitions: TopicPartition) -> None:
        tps = partitions or tuple(self.assignment())
        self._drop_pending(tps)
        for tp in tps:
            self._buffer.reset(tp, EARLIEST_TIMESTAMP)

    def seek_to_end(self, *partitions: TopicPartition) -> None:
        tps = partitions or tuple(self.assignment())
        self._drop_pending(tps)
        for tp in tps:
            self._buffer.reset(tp, LATEST_TIMESTAMP)

    def position(self, partition: TopicPartition, timeout: float | None = None) -> int:
        """The offset of the next record this consumer will return for `partition`."""
        for record in self._pending:
            if record.topic == partition.topic and record.partition == partition.partition:
                return record.offset
        return self._run(
            self._core.resolve_position(partition, timeout or self._timeout_s), timeout
        )

    def highwater(self, partition: TopicPartition) -> int | None:
        with self._buffer.lock:
            state = self._buffer.states.get(partition)
            return state.high_watermark if state is not None and state.high_watermark >= 0 else None

    def pause(self, *partitions: TopicPartition) -> None:
        self._buffer.set_paused(partitions, True)

    def resume(self, *partitions: TopicPartition) -> None:
        self._buffer.set_paused(partitions, False)

    def paused(self) -> set[TopicPartition]:
        return self._buffer.paused()

    # ---- records --------------------------------------------------------------------------

    def poll(
        self, timeout_ms: float = 0, max_records: int | None = None, update_offsets: bool = True
    ) -> dict[TopicPartition, list[ConsumerRecord]]:
        """Records by partition: what is buffered now, or the first to arrive within
        `timeout_ms`; {} when none did."""
        del update_offsets  # positions always advance past returned records
        if self._closed:
            raise ClientClosed("the consumer is closed")
        limit = max_records or self.config.max_poll_records
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            records = self._buffer.drain(limit)
            if records:
                if self._core.tracing is not None:
                    self._core.tracing.received(records)
                return records
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return {}
            self._buffer.wait_for_data(min(remaining, 0.5))

    def __iter__(self) -> Iterator[ConsumerRecord]:
        return self

    def __next__(self) -> ConsumerRecord:
        tracing = self._core.tracing
        if tracing is None:
            return self._next_record()
        try:
            record = self._next_record()
        except BaseException:
            tracing.process(None)
            raise
        tracing.process(record)
        return record

    def _next_record(self) -> ConsumerRecord:
        self._drop_released()
        if self._pending:
            return self._pending.popleft()
        idle_limit = self.config.consumer_timeout_ms / 1000
        started = time.monotonic()
        while True:
            remaining = idle_limit - (time.monotonic() - started)
            if remaining <= 0:
                raise StopIteration
            batch = self.poll(timeout_ms=min(remaining, 1.0) * 1000)
            for records in batch.values():
                self._pending.extend(records)
            if self._pending:
                return self._pending.popleft()

    def _drop_released(self) -> None:
        """Records of partitions the group took away are not returned any more."""
        if self._pending and self._core.group is not None:
            owned = self._buffer.assignment() - self._buffer.paused()
            self._pending = deque(r for r in self._pending
                                  if TopicPartition(r.topic, r.partition) in owned)

    # ---- lookups --------------------------------------------------------------------------

    def beginning_offsets(
        self, partitions: Iterable[TopicPartition], timeout: float | None = None
    ) -> dict[TopicPartition, int]:
        return self._run(
            self._core.edge_offsets(list(partitions), False, timeout or self._timeout_s), timeout
        )

    def end_offsets(
        self, partitions: Iterable[TopicPartition], timeout: float | None = None
    ) -> dict[TopicPartition, int]:
        return self._run(
            self._core.edge_offsets(list(partitions), True, timeout or self._timeout_s), timeout
        )

    def offsets_for_times(
        self, timestamps: Mapping[TopicPartition, int], timeout: float | None = None
    ) -> dict[TopicPartition, OffsetAndTimestamp | None]:
        for tp, ts in timestamps.items():
            if ts < 0:
                raise ConfigurationError(f"timestamp for {tp} must be >= 0, not {ts}")
        return self._run(
            self._core.list_offsets(dict(timestamps), timeout or self._timeout_s), timeout
        )

    def partitions_for_topic(self, topic: str, timeout: float | None = None) -> set[int] | None:
        return self._run(
            self._core.partitions_for_topic(topic, timeout or self._timeout_s), timeout
        )

    def topics(self, timeout: float | None = None) -> set[str]:
        return self._run(self._core.topics(), timeout)

    def metrics(self) -> dict[str, dict[str, float]]:
        return {"consumer-metrics": {"assigned-partitions": len(self.assignment())}}

    # ---- groups and close -----------------------------------------------------------------

    async def _commit(self, offsets: Mapping[TopicPartition, OffsetAndMetadata | int] | None
                      ) -> None:
        group = self._core.group_or_fail()
        await group.commit(None if offsets is None else as_offsets(offsets))

    def commit(self, offsets: Mapping[TopicPartition, OffsetAndMetadata | int] | None = None
               ) -> None:
        """Commit `offsets` (the next offsets to consume), or the consumed positions of every
        assigned partition; waits for the coordinator. Needs a group_id."""
        self._run(self._commit(offsets))

    def commit_async(
        self, offsets: Mapping[TopicPartition, OffsetAndMetadata | int] | None = None,
        callback: Callable[[Mapping[TopicPartition, OffsetAndMetadata | int] | None,
                            BaseException | None], None] | None = None,
    ) -> concurrent.futures.Future[None]:
        """As commit(), without waiting; `callback(offsets, error)` runs on completion."""
        if self._closed:
            raise ClientClosed("the consumer is closed")
        future = asyncio.run_coroutine_threadsafe(self._commit(offsets), self._thread.loop)
        if callback is not None:
            future.add_done_callback(lambda done: callback(
                offsets, None if done.cancelled() else done.exception()))
        return future

    def committed(self, partition: TopicPartition) -> int | None:
        """The group's committed offset of `partition` (None when nothing is committed)."""
        group = self._core.group_or_fail()
        found = self._run(group.committed([TopicPartition(*partition)]))
        value = found.get(TopicPartition(*partition))
        return None if value is None else value.offset

    def close(self, autocommit: bool = True, timeout: float | None = None) -> None:
        """Leave the group (committing the consumed positions first unless autocommit=False
        or enable_auto_commit=False), then stop."""
        if self._closed:
            return
        try:
            self._thread.run(self._core.close(autocommit=autocommit),
                             timeout or self._timeout_s)
        finally:
            self._closed = True
            self._thread.stop(timeout_s=10)
