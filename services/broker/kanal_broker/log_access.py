"""The one way into a partition's log: serialised, off the event loop, with its offsets
published and its waiters woken.

The log is synchronous and not thread-safe, so every call runs in the executor while the
lock is held. The lock is released by the executor future's completion, not by the awaiting
coroutine: a request cancelled mid-append (client deadline) cannot let a second call into
the log while the first still runs in its thread.

Small appends (`inline`) run on the loop instead, inside `Log.light_only()`: they only write
to the page cache, and the hop to a thread and back (two wake-ups, a self-pipe write, the
GIL changing hands) cost more CPU and latency than the write itself; on the acks=all path
there are three of them in a row (leader, then each follower). Offsets are published before
the call returns, so the next request already sees the new log end. An append that would
roll, fsync or write the epoch checkpoint raises HeavyAppend before changing anything and
goes to the executor as usual.

Long-poll fetches and acks=all register futures here: growth of the high watermark resolves
the ones waiting for committed data, growth of the log end those of follower fetches.

The one exception to "every call in the executor": a leader raising its high watermark
(`raise_high_watermark`), on the acks=all critical path. The watermark is an integer that
only grows and that the log clamps to its end, so it is set on the loop when no operation
is in the executor, else by the running operation's completion (`_finish`), and never waits
in the queue behind later appends.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from kanal.errors import NotLeaderForPartition

from kanal_broker.log import Log
from kanal_broker.log.log import HeavyAppend

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LogOffsets:
    """The log's positions after the last operation; read without taking the lock."""

    log_start_offset: int
    log_end_offset: int
    high_watermark: int
    size_bytes: int
    producer_ids: int = 0
    """Idempotent producers with state in this log (Kafka's ProducerIdCount)."""

    @classmethod
    def of(cls, log: Log) -> LogOffsets:
        return cls(log.log_start_offset, log.log_end_offset, log.high_watermark,
                   log.size_bytes, len(log.producer_state.producers))


class LogAccess:
    def __init__(self, log: Log, *, name: str, executor: concurrent.futures.Executor,
                 on_offsets: Callable[[LogOffsets], None]) -> None:
        self._log = log
        self._name = name
        self._executor = executor
        self._on_offsets = on_offsets
        self._lock = asyncio.Lock()
        self._waiters: set[asyncio.Future[None]] = set()
        self._log_end_waiters: set[asyncio.Future[None]] = set()
        self.closed = False
        self._pending_high_watermark = -1
        self.offsets = LogOffsets.of(log)
        on_offsets(self.offsets)

    async def run(self, operation: Callable[[Log], T], *, closing: bool = False) -> T:
        return await self.run_prepared(lambda: operation, closing=closing)

    async def run_prepared(self, prepare: Callable[[], Callable[[Log], T]], *,
                           closing: bool = False, inline: bool = False) -> T:
        """Take the lock, let `prepare` check state on the loop and pick the operation, run
        it in the executor; the lock is released when the executor call ends. `closing`:
        the last operation (nothing runs after it). `inline`: a small append, tried on the
        loop first (see the module's docstring)."""
        await self._lock.acquire()
        try:
            if self.closed:
                raise NotLeaderForPartition(f"{self._name} is no longer hosted by this broker")
            operation = prepare()
            if closing:
                self.closed = True
            elif inline:
                try:
                    with self._log.light_only():
                        result = operation(self._log)
                except HeavyAppend:
                    pass
                else:
                    self._publish(LogOffsets.of(self._log))
                    self._lock.release()
                    return result

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
            if offsets is not None:
                self._publish(offsets)
        finally:
            pending, self._pending_high_watermark = self._pending_high_watermark, -1
            if pending >= 0 and not self.closed:
                self._set_high_watermark(pending)  # the executor is idle until release
            self._lock.release()

    def _publish(self, offsets: LogOffsets) -> None:
        if offsets == self.offsets:
            return  # a read: nothing to publish (metrics labels are not cheap)
        grew = offsets.high_watermark > self.offsets.high_watermark
        extended = offsets.log_end_offset > self.offsets.log_end_offset
        self.offsets = offsets
        self._on_offsets(offsets)
        if grew or extended:
            self.wake_waiters(high_watermark=grew, log_end=extended)

    def raise_high_watermark(self, offset: int) -> None:
        """Raise the log's high watermark to `offset` (never lowers it): now if no operation
        is in the executor, else when the running one ends."""
        if self.closed or offset <= self.offsets.high_watermark:
            return
        if self._lock.locked():
            self._pending_high_watermark = max(self._pending_high_watermark, offset)
        else:
            self._set_high_watermark(offset)

    def _set_high_watermark(self, offset: int) -> None:
        self._log.high_watermark = max(self._log.high_watermark, offset)  # clamped to the end
        high_watermark = self._log.high_watermark
        if high_watermark > self.offsets.high_watermark:
            self.offsets = dataclasses.replace(self.offsets, high_watermark=high_watermark)
            self.wake_waiters(high_watermark=True, log_end=False)

    # ---- waiting for data ----------------------------------------------------------------

    async def wait_committed(self, offset: int, *, timeout_s: float) -> bool:
        """Whether the high watermark passed `offset` within the timeout."""
        deadline = time.monotonic() + timeout_s
        loop = asyncio.get_running_loop()
        while self.offsets.high_watermark <= offset:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.closed:
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

    def add_waiter(self, waiter: asyncio.Future[None], *, log_end: bool = False) -> None:
        """Resolve `waiter` when the high watermark grows, or with `log_end` when the log
        end grows (what a follower's fetch waits for)."""
        (self._log_end_waiters if log_end else self._waiters).add(waiter)

    def remove_waiter(self, waiter: asyncio.Future[None]) -> None:
        self._waiters.discard(waiter)
        self._log_end_waiters.discard(waiter)

    def wake_waiters(self, *, high_watermark: bool = True, log_end: bool = True) -> None:
        for waiters, wake in ((self._waiters, high_watermark),
                              (self._log_end_waiters, log_end)):
            if wake:
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)
                waiters.clear()
