"""One partition hosted by this broker: its log, who may use it, and who is waiting for it.

The log is synchronous and not thread-safe, so every call runs in the executor while this
partition's lock is held. The lock is released by the executor future's completion, not by
the awaiting coroutine: a request cancelled mid-append (client deadline) cannot let a second
call into the log while the first still runs in its thread.

Long-poll fetches register a future here; an append that moves the high watermark resolves
them all (no polling).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from kanal.errors import NotLeaderForPartition
from kanal.meta.documents import PartitionState
from kanal.topic_config import TopicConfig
from kanal.types import TopicPartition

from kanal_broker.log import AppendInfo, Log, ReadResult
from kanal_broker.metrics import BrokerMetrics

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LogOffsets:
    """The log's positions after the last operation; read without taking the lock."""

    log_start_offset: int
    log_end_offset: int
    high_watermark: int
    size_bytes: int

    @classmethod
    def of(cls, log: Log) -> LogOffsets:
        return cls(log.log_start_offset, log.log_end_offset, log.high_watermark,
                   log.size_bytes)


class Partition:
    def __init__(self, tp: TopicPartition, *, topic_id: str, log: Log, config: TopicConfig,
                 executor: concurrent.futures.Executor, metrics: BrokerMetrics,
                 holds_lease: Callable[[], bool]) -> None:
        self.tp = tp
        self.topic_id = topic_id
        self.config = config
        self._log = log
        self._executor = executor
        self._metrics = metrics
        self._holds_lease = holds_lease
        self._lock = asyncio.Lock()
        self._waiters: set[asyncio.Future[None]] = set()
        self._closed = False
        self.offsets = LogOffsets.of(log)
        self._observe(self.offsets)
        self.state: PartitionState | None = None
        self._leader_epoch: int | None = None
        self._fenced = False

    # ---- leadership ------------------------------------------------------------------------

    def leader_epoch(self) -> int | None:
        """The epoch this broker leads the partition in, or None when it must not lead."""
        if self._leader_epoch is None or self._closed or not self._holds_lease():
            return None
        return self._leader_epoch

    def apply_state(self, state: PartitionState | None, *, mod_revision: int, broker_id: int,
                    registration_revision: int) -> None:
        """Follow the partition state in etcd. After a lease loss (`fence`) only a state
        written after this broker registered again can make it leader again."""
        self.state = state
        if state is None or state.leader != broker_id:
            self._leader_epoch = None
            return
        if self._fenced:
            if registration_revision == 0 or mod_revision <= registration_revision:
                self._leader_epoch = None
                return
            self._fenced = False
        self._leader_epoch = state.leader_epoch

    def fence(self) -> None:
        """The lease is gone: stop leading until etcd names this broker leader again."""
        self._fenced = True
        self._leader_epoch = None

    # ---- log operations ------------------------------------------------------------------

    async def append(self, batches: bytes) -> AppendInfo:
        def prepare() -> Callable[[Log], AppendInfo]:
            # Decided on the loop, under the lock: leadership can change while we queue.
            epoch = self.leader_epoch()
            if epoch is None:
                raise NotLeaderForPartition(f"this broker does not lead {self.tp}")

            def append(log: Log) -> AppendInfo:
                info = log.append_as_leader(batches, leader_epoch=epoch)
                # Replication factor 1: the leader is the whole ISR, so what is appended is
                # committed at once. Replication moves this behind follower fetches.
                log.high_watermark = log.log_end_offset
                return info

            return append

        return await self._exclusive_prepared(prepare, closing=False)

    async def read(self, offset: int, max_bytes: int, *, max_offset: int | None,
                   min_one_batch: bool) -> ReadResult:
        return await self._exclusive(lambda log: log.read(
            offset, max_bytes, max_offset=max_offset, min_one_batch=min_one_batch))

    async def offset_for_timestamp(self, timestamp: int) -> tuple[int, int] | None:
        return await self._exclusive(lambda log: log.offset_for_timestamp(timestamp))

    async def max_timestamp(self) -> tuple[int, int] | None:
        return await self._exclusive(lambda log: log.offset_of_max_timestamp())

    async def maintain(self) -> None:
        """Retention, then rolling, then (for compacted topics) cleaning."""
        def maintain(log: Log) -> None:
            log.apply_retention()
            log.maybe_roll()
            if self.config.compact:
                log.compact()

        await self._exclusive(maintain)

    async def flush(self) -> None:
        await self._exclusive(lambda log: log.flush())

    async def update_config(self, config: TopicConfig) -> None:
        if config != self.config:
            await self._exclusive(lambda log: log.update_config(config))
            self.config = config

    async def close(self, *, delete: bool) -> None:
        """Close the log (clean-shutdown marker), or delete its directory. Idempotent."""
        def close(log: Log) -> None:
            if delete:
                log.delete()
            else:
                log.close()

        if not self._closed:
            await self._exclusive(close, closing=True)
            self._metrics.forget_partition(self.tp)

    def _observe(self, offsets: LogOffsets) -> None:
        self._metrics.observe_partition(
            self.tp, log_start_offset=offsets.log_start_offset,
            log_end_offset=offsets.log_end_offset, size_bytes=offsets.size_bytes)

    # ---- waiting for data ----------------------------------------------------------------

    async def wait_committed(self, offset: int, *, timeout_s: float) -> bool:
        """Whether the high watermark passed `offset` within the timeout: what acks=all
        waits for. With replication factor 1 it already has when the append returns."""
        deadline = time.monotonic() + timeout_s
        loop = asyncio.get_running_loop()
        while self.offsets.high_watermark <= offset:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closed:
                return False
            waiter: asyncio.Future[None] = loop.create_future()
            self.add_waiter(waiter)
            try:
                await asyncio.wait_for(asyncio.shield(waiter), remaining)
            except TimeoutError:
                return False
            finally:
                self.remove_waiter(waiter)
        return True

    def add_waiter(self, waiter: asyncio.Future[None]) -> None:
        self._waiters.add(waiter)

    def remove_waiter(self, waiter: asyncio.Future[None]) -> None:
        self._waiters.discard(waiter)

    def wake_waiters(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    # ---- the one way into the log --------------------------------------------------------

    async def _exclusive(self, operation: Callable[[Log], T], *, closing: bool = False) -> T:
        return await self._exclusive_prepared(lambda: operation, closing=closing)

    async def _exclusive_prepared(self, prepare: Callable[[], Callable[[Log], T]], *,
                                  closing: bool) -> T:
        """Take the lock, let `prepare` check state on the loop and pick the operation, run
        it in the executor; the lock is released when the executor call ends."""
        await self._lock.acquire()
        try:
            if self._closed:
                raise NotLeaderForPartition(f"{self.tp} is no longer hosted by this broker")
            operation = prepare()
            if closing:
                self._closed = True

            def run() -> tuple[T, LogOffsets | None]:
                result = operation(self._log)
                return result, (None if closing else LogOffsets.of(self._log))

            future = asyncio.get_running_loop().run_in_executor(self._executor, run)
        except BaseException:
            self._lock.release()
            raise
        future.add_done_callback(self._finish)
        result, _ = await asyncio.shield(future)
        return result

    def _finish(self, future: asyncio.Future[tuple[T, LogOffsets | None]]) -> None:
        # Runs on the loop when the executor call ends, before the lock is free again, so
        # snapshots are published in the order the operations ran.
        try:
            if future.cancelled() or future.exception() is not None:
                return
            offsets = future.result()[1]
            if offsets is None:
                return
            grew = offsets.high_watermark > self.offsets.high_watermark
            self.offsets = offsets
            self._observe(offsets)
            if grew:
                self.wake_waiters()
        finally:
            self._lock.release()
