"""The record accumulator: per-partition queues of open batches, shared by send() and the
sender, in the manner of Kafka's Java producer.

send() only appends to the open batch at the tail of its partition's queue (about a
microsecond under one lock; keyless records go straight to their topic's sticky partition,
`append_sticky`); it never talks to the network. The sender asks which brokers
have a batch worth sending (`ready`: full, lingered long enough, or a flush/close/memory
waiter is pending) and takes them (`drain`). While a partition has a request in flight it is
*muted*: nothing more of it is drained until the answer is in, and a retried batch goes back
to the front of its queue, so records of one partition are never reordered by retries. One
request can still carry several batches of a partition (up to max_request_size), so a
partition's throughput is not bounded by one batch per round trip.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

from kanal.client.buffer_pool import BufferPool
from kanal.client.futures import BatchResult, FutureRecordMetadata
from kanal.client.idempotence import MAX_IN_FLIGHT
from kanal.client.producer_batch import (
    AccumulatorConfig,
    ProducerBatch,
    ReadyCheck,
    record_size,
    with_trace,
)
from kanal.errors import KanalError, MessageTooLarge
from kanal.records.builder import InputHeaders as Headers
from kanal.records.header import HEADER_SIZE
from kanal.records.native_builder import (
    NO_HEADERS,
    check_timestamp,
    header_list,
    new_batch_encoder,
)
from kanal.types import TopicPartition


class RecordAccumulator:
    def __init__(
        self,
        config: AccumulatorConfig,
        pool: BufferPool,
        wake_sender: Callable[[], None],
        on_new_batch: Callable[[ProducerBatch], None] | None = None,
    ) -> None:
        self._config = config
        self._on_new_batch = on_new_batch
        self._pool = pool
        self._wake_sender = wake_sender
        self._lock = threading.Lock()
        self._acquire = self._lock.acquire
        self._release = self._lock.release
        # Where keyless records of each topic go while its batch has room (KIP-480's sticky
        # partition, chosen and moved by the producer's partitioner): append_sticky.
        self.sticky: dict[str, TopicPartition] = {}
        # The batch append_sticky appends to, per topic: the open tail of its sticky
        # partition, registered when that batch opens or the partition becomes sticky
        # (set_sticky), so the hot path looks up neither partition nor queue. Usable while not
        # closed: every batch closes (full, drained) before a newer one opens behind it.
        self._sticky_batches: dict[str, ProducerBatch] = {}
        self._batches: dict[TopicPartition, deque[ProducerBatch]] = {}
        self._muted: set[TopicPartition] = set()
        self._incomplete: set[ProducerBatch] = set()
        self._flushes = 0
        self._closing = False
        # When the sender will next look without being woken (monotonic s); an append whose
        # linger ends earlier must wake it.
        self._sender_wakes_at = float("inf")
        # A wake-up is on its way to the sender: more would only cost a cross-thread call each.
        self._wake_pending = False

    # ---- the send() side (any thread) -----------------------------------------------------

    def append_sticky(
        self, topic: str, timestamp_ms: int | None, value: bytes | None,
        headers: Headers | None,
    ) -> FutureRecordMetadata | None:
        """Append a keyless record to the open batch of the topic's sticky partition: the path
        of nearly every record. None when that batch is missing or full, or the accumulator
        is closing: the producer then takes its general path (partitioner, new batch)."""
        tail = self._sticky_batches.get(topic)
        if tail is None:
            return None
        if timestamp_ms is not None:
            check_timestamp(timestamp_ms)
        record_headers = header_list(headers) if headers else NO_HEADERS
        # ProducerBatch.try_append and _append_to_tail, inlined (a call costs as much as the
        # lock). The lock's bound acquire/release cost a third of `with self._lock` (whose
        # __enter__ and __exit__ are looked up and parse their arguments on every use).
        self._acquire()
        try:
            if tail.closed or self._closing:
                return None
            if tail.trace_headers is not None:
                record_headers = header_list(with_trace(headers, tail.trace_headers))
            index = tail.record_count
            # No timestamp: the encoder reads the clock (and tells the time it wrote).
            appended = tail.append_record(index, timestamp_ms, None, value, record_headers)
            if appended is None:
                if not self._seal(tail):
                    return None
            else:
                tail.record_count = index + 1
        finally:
            self._release()
        if appended is None:
            self._build_sealed(tail)
            return None
        return FutureRecordMetadata(
            tail.result, index, tail.tp, appended.timestamp, -1,
            len(value) if value is not None else -1,
        )

    def set_sticky(self, tp: TopicPartition) -> None:
        """Make `tp` where its topic's keyless records go (the partitioner's choice)."""
        with self._lock:
            self.sticky[tp.topic] = tp
            queue = self._batches.get(tp)
            if queue and not queue[-1].closed:
                self._sticky_batches[tp.topic] = queue[-1]

    def append_to_open_batch(
        self, tp: TopicPartition, timestamp_ms: int | None, key: bytes | None,
        value: bytes | None, headers: Headers | None,
    ) -> FutureRecordMetadata | None:
        """Append only if the partition has an open batch with room; None otherwise (the
        sticky partitioner then moves keyless records on, as KIP-480 does)."""
        with self._lock:
            result = self._append_to_tail(tp, timestamp_ms, key, value, headers)
        return self._settle(result)

    def append(  # noqa: PLR0917 - the send() hot path avoids keyword passing
        self, tp: TopicPartition, timestamp_ms: int | None, key: bytes | None,
        value: bytes | None, headers: Headers | None, max_block_s: float,
    ) -> FutureRecordMetadata:
        """Append a record, blocking up to `max_block_s` for buffer memory."""
        future = self.try_append(tp, timestamp_ms, key, value, headers)
        if future is not None:
            return future
        size = self._batch_bytes(key, value, headers)
        self._pool.reserve(size, max_block_s)
        return self._append_new(tp, timestamp_ms, key, value, headers, size)

    def try_append(
        self, tp: TopicPartition, timestamp_ms: int | None, key: bytes | None,
        value: bytes | None, headers: Headers | None,
    ) -> FutureRecordMetadata | None:
        """Append without blocking; None when a new batch is needed and memory is spent."""
        with self._lock:
            result = self._append_to_tail(tp, timestamp_ms, key, value, headers)
        future = self._settle(result)
        if future is not None:
            return future
        size = self._batch_bytes(key, value, headers)
        if not self._pool.try_reserve(size):
            return None
        return self._append_new(tp, timestamp_ms, key, value, headers, size)

    def _batch_bytes(
        self, key: bytes | None, value: bytes | None, headers: Headers | None
    ) -> int:
        size = record_size(key, value, headers) + HEADER_SIZE
        if size > self._config.max_request_size or size > self._pool.total_bytes:
            raise MessageTooLarge(
                f"a record of about {size} bytes exceeds max_request_size "
                f"({self._config.max_request_size}) or buffer_memory ({self._pool.total_bytes})"
            )
        return max(size, self._config.batch_size)

    def _append_to_tail(
        self, tp: TopicPartition, timestamp_ms: int | None, key: bytes | None,
        value: bytes | None, headers: Headers | None,
    ) -> FutureRecordMetadata | ProducerBatch | None:
        """Under the lock: the record's future; None when the partition has no open batch
        with room; the tail batch, sealed full, when the caller must build it once it has
        released the lock (`_settle`)."""
        queue = self._batches.get(tp)
        if not queue:
            return None
        tail = queue[-1]
        if tail.closed:
            return None
        index = tail.record_count
        appended = tail.try_append(timestamp_ms, key, value, headers)
        if appended is None:
            return tail if self._seal(tail) else None
        return FutureRecordMetadata(
            tail.result, index, tp, appended.timestamp,
            len(key) if key is not None else -1, len(value) if value is not None else -1,
        )

    def _seal(self, batch: ProducerBatch) -> bool:
        """Under the lock: close a full batch. True when the caller is to build it after
        releasing the lock (`_build_sealed`): an encoder that builds cheaply builds in the
        thread that filled the batch, because in the sender's thread each build, which lets
        go of the GIL, waits for a busy caller to give the GIL back (native_builder.py).
        Building under the lock would make the sender wait for the lock the same way."""
        batch.closed = True
        if batch.builder.eager_build:
            batch.building = True
            return True
        self._wake_for_full_batch(batch.tp)
        return False

    def _build_sealed(self, batch: ProducerBatch) -> None:
        """Build a batch `_seal` closed, then let the sender have it."""
        try:
            batch.encoded()
        finally:
            with self._lock:
                batch.building = False
                self._wake_for_full_batch(batch.tp)

    def _settle(
        self, result: FutureRecordMetadata | ProducerBatch | None
    ) -> FutureRecordMetadata | None:
        """Outside the lock: what `_append_to_tail` answered, building a sealed batch."""
        if isinstance(result, ProducerBatch):
            self._build_sealed(result)
            return None
        return result

    def _wake_for_full_batch(self, tp: TopicPartition) -> None:
        """Wake the sender for a full batch, unless it will look soon anyway: a wake-up is a
        cross-thread call, and with the GIL each one costs the sending thread its turn.
        The sender looks again when a muted partition's answer arrives, and at the latest
        when the linger of the oldest batch ends."""
        if self._wake_pending or tp in self._muted:
            return
        if self._sender_wakes_at <= time.monotonic() + self._config.linger_s:
            return
        self._wake_pending = True
        self._wake_sender()

    def _append_new(  # noqa: PLR0917 - hot path
        self, tp: TopicPartition, timestamp_ms: int | None, key: bytes | None,
        value: bytes | None, headers: Headers | None, reserved: int,
    ) -> FutureRecordMetadata:
        with self._lock:
            # Another thread may have opened a batch while this one waited for memory.
            result = self._append_to_tail(tp, timestamp_ms, key, value, headers)
            if isinstance(result, FutureRecordMetadata):
                self._pool.release(reserved)
                return result
            builder = new_batch_encoder(self._config.codec, reserved)
            batch = ProducerBatch(tp, builder, reserved)
            if self._on_new_batch is not None:
                self._on_new_batch(batch)  # tracing: the batch's span and trace headers
            appended = batch.try_append(timestamp_ms, key, value, headers)
            assert appended is not None  # the first record of a batch is always accepted
            self._batches.setdefault(tp, deque()).append(batch)
            self._incomplete.add(batch)
            if self.sticky.get(tp.topic) == tp:
                self._sticky_batches[tp.topic] = batch
            linger_ends = batch.created + self._config.linger_s
            wake = (linger_ends < self._sender_wakes_at and not self._wake_pending
                    and tp not in self._muted)
            if wake:
                self._sender_wakes_at = linger_ends
                self._wake_pending = True
        if result is not None:
            self._build_sealed(result)
        if wake:
            self._wake_sender()
        return FutureRecordMetadata(
            batch.result, 0, tp, appended.timestamp,
            len(key) if key is not None else -1, len(value) if value is not None else -1,
        )

    # ---- the sender side (the event loop) -------------------------------------------------

    def ready(self, now: float, leader_for: Callable[[TopicPartition], int | None]) -> ReadyCheck:
        nodes: set[int] = set()
        next_check = float("inf")
        unknown = False
        linger = self._config.linger_s
        with self._lock:
            urgent = self._flushes > 0 or self._closing or self._pool.has_waiters
            for tp, queue in self._batches.items():
                if not queue or tp in self._muted:
                    continue
                leader = leader_for(tp)
                if leader is None:
                    unknown = True
                    continue
                head = queue[0]
                if head.building:
                    continue  # _build_sealed wakes the sender when done
                if head.retry_at > now:
                    next_check = min(next_check, head.retry_at - now)
                elif urgent or head.closed or len(queue) > 1 or now - head.created >= linger:
                    nodes.add(leader)
                else:
                    next_check = min(next_check, head.created + linger - now)
            self._sender_wakes_at = now + next_check
            self._wake_pending = False
        return ReadyCheck(frozenset(nodes), next_check, unknown)

    def drain(
        self, node: int, now: float, leader_for: Callable[[TopicPartition], int | None]
    ) -> list[ProducerBatch]:
        """Take the sendable batches of `node`'s partitions, muting them; at most
        max_request_size bytes per partition (at least one batch)."""
        limit = self._config.max_request_size
        drained: list[ProducerBatch] = []
        with self._lock:
            for tp, queue in self._batches.items():
                if not queue or tp in self._muted or queue[0].retry_at > now:
                    continue
                if leader_for(tp) != node:
                    continue
                size = 0
                first = len(drained)
                while queue and (size == 0 or size + queue[0].builder.estimated_size <= limit):
                    batch = queue[0]
                    if batch.building:
                        break  # and the batches behind it wait too: order within a partition
                    if self._config.idempotent and not _joins(drained[first:], batch):
                        break
                    queue.popleft()
                    batch.closed = True
                    size += batch.builder.estimated_size
                    drained.append(batch)
                if len(drained) > first:
                    self._muted.add(tp)
        return drained

    def requeue(self, batches: list[ProducerBatch], retry_at: float) -> None:
        """Put batches of one request back at the front of their queues, in order."""
        with self._lock:
            for batch in reversed(batches):
                batch.retry_at = retry_at
                self._batches.setdefault(batch.tp, deque()).appendleft(batch)

    def unmute(self, tps: Iterable[TopicPartition]) -> None:
        with self._lock:
            self._muted.difference_update(tps)

    def complete(self, outcomes: list[tuple[ProducerBatch, int, int]]) -> None:
        """Acknowledge batches: (batch, base offset, log append time) each."""
        with self._lock:
            done = [o for o in outcomes if o[0] in self._incomplete]
            self._incomplete.difference_update(o[0] for o in done)
        self._pool.release(sum(batch.reserved for batch, _, _ in done))
        for batch, base_offset, log_append_time in done:
            batch.result.succeed(base_offset, log_append_time)

    def fail(self, batch: ProducerBatch, error: KanalError) -> None:
        self._forget(batch)
        batch.result.fail(error)

    def _forget(self, batch: ProducerBatch) -> None:
        with self._lock:
            if batch not in self._incomplete:
                return
            self._incomplete.discard(batch)
        self._pool.release(batch.reserved)

    def expire(self, now: float, error: Callable[[ProducerBatch], KanalError]) -> None:
        """Fail queued batches older than delivery_timeout (never those in flight)."""
        timeout = self._config.delivery_timeout_s
        expired: list[ProducerBatch] = []
        with self._lock:
            for queue in self._batches.values():
                while queue and now - queue[0].created > timeout:
                    batch = queue.popleft()
                    batch.closed = True  # append_sticky may still hold it: take nothing more
                    expired.append(batch)
        for batch in expired:
            self.fail(batch, error(batch))

    def abort_all(self, error: KanalError) -> None:
        with self._lock:
            queued = [batch for queue in self._batches.values() for batch in queue]
            self._batches.clear()
            self._sticky_batches.clear()
            for batch in queued:
                batch.closed = True
        for batch in queued:
            self.fail(batch, error)

    # ---- flush and close ------------------------------------------------------------------

    def incomplete(self) -> list[BatchResult]:
        with self._lock:
            return [batch.result for batch in self._incomplete]

    def has_incomplete(self) -> bool:
        with self._lock:
            return bool(self._incomplete)

    def begin_flush(self) -> None:
        with self._lock:
            self._flushes += 1
        self._wake_sender()

    def end_flush(self) -> None:
        with self._lock:
            self._flushes -= 1

    def begin_close(self) -> None:
        with self._lock:
            self._closing = True
        self._wake_sender()


def _joins(taken: list[ProducerBatch], batch: ProducerBatch) -> bool:
    """Idempotence: whether `batch` may go in the same request as the partition's batches
    `taken` so far: at most MAX_IN_FLIGHT of them, all retried or all new."""
    if not taken:
        return True
    return len(taken) < MAX_IN_FLIGHT and (batch.sequence is None) == (taken[0].sequence is None)
