"""The producer's sender task: drains ready batches into Produce requests, one request per
broker carrying all its partitions, with up to max_in_flight requests outstanding per broker.

Why unary Produce calls rather than ProduceStream, measured on loopback (one broker, five
requests in flight, 100-byte records): with 140-record requests a stream cost the client about
260 us of CPU per request against about 300 us for a unary call; with 1,400-record requests
both cost about 600 us and carried 0.8-1.2 million records/s. The sender packs every ready
batch of a partition into one request (about 3,200 records per call in
bench/produce_consume.py), so the transport is far from being the limit, and unary calls keep
failure handling per request (a broken stream fails everything in flight on it).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import defaultdict

import grpc

from kanal.client.accumulator import RecordAccumulator
from kanal.client.config import ProducerConfig
from kanal.client.connection import ConnectionPool
from kanal.client.idempotence import ProducerIdentity
from kanal.client.metadata import MetadataManager
from kanal.client.produce_request import PartitionData, encode_produce_request
from kanal.client.producer_batch import ProducerBatch
from kanal.client.retry import METADATA_STALE_CODES, backoff_s, error_from_rpc
from kanal.errors import (
    BrokerNotAvailable,
    KanalError,
    KanalTimeoutError,
    RequestTimedOut,
    error_for_code,
)
from kanal.tracing.carriers import Metadata
from kanal.tracing.producer import ProducerTracing
from kanal.types import ACKS_NONE, TopicPartition

log = logging.getLogger(__name__)

# How often queued batches are checked against delivery_timeout_ms: a scan of every queue
# under the accumulator's lock is not worth doing on each wake-up.
EXPIRY_CHECK_S = 0.1


class SenderMetrics:
    __slots__ = ("batches_sent", "errors", "records_sent", "requests_sent", "retries")

    def __init__(self) -> None:
        self.requests_sent = 0
        self.batches_sent = 0
        self.records_sent = 0
        self.retries = 0
        self.errors = 0


class Sender:
    def __init__(
        self,
        config: ProducerConfig,
        accumulator: RecordAccumulator,
        metadata: MetadataManager,
        pool: ConnectionPool,
        identity: ProducerIdentity | None = None,
        *,
        tracing: ProducerTracing | None = None,
    ) -> None:
        self._config = config
        self._identity = identity
        self._tracing = tracing
        self._acc = accumulator
        self._metadata = metadata
        self._pool = pool
        self._event = asyncio.Event()
        self._in_flight: dict[int, int] = defaultdict(int)
        self._requests: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._running = False
        self._correlation = itertools.count(1)
        self.metrics = SenderMetrics()

    def wake(self) -> None:
        """Look at the accumulator again now (call on the sender's loop)."""
        self._event.set()

    def start(self) -> None:
        self._running = True
        self._task = asyncio.get_running_loop().create_task(self._run())
        self._task.add_done_callback(_log_crash)

    async def stop(self, grace_s: float) -> None:
        """Stop draining; give requests in flight `grace_s` to finish (acks=0 requests
        have no futures left to wait on, but must still reach the broker), then cancel the
        rest and fail their batches."""
        self._running = False
        self._event.set()
        if self._task is not None:
            await self._task
            self._task = None
        if self._requests:
            await asyncio.wait(list(self._requests), timeout=grace_s)
        for task in list(self._requests):
            task.cancel()
        if self._requests:
            await asyncio.gather(*self._requests, return_exceptions=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_expiry = 0.0
        while self._running:
            self._event.clear()
            now = time.monotonic()
            if now >= next_expiry:
                self._acc.expire(now, self._expired_error)
                next_expiry = now + EXPIRY_CHECK_S
            if self._identity is not None and not self._identity.ready:
                await self._acquire_identity(self._identity)
                continue
            snapshot = self._metadata.snapshot
            check = self._acc.ready(now, snapshot.leader_for)
            if check.unknown_leaders:
                self._metadata.request_update()
            for node in check.nodes:
                if self._in_flight[node] >= self._config.max_in_flight_requests_per_connection:
                    continue
                batches = self._acc.drain(node, now, snapshot.leader_for)
                if self._identity is not None:
                    for batch in batches:
                        self._identity.assign(batch)
                if batches:
                    self._spawn(node, batches)
            delay = check.next_check_s
            if check.unknown_leaders:
                delay = min(delay, self._config.connection.retry_backoff_ms / 1000)
            # A timer instead of asyncio.wait_for: no task per sleep on this hot loop.
            timer = loop.call_later(min(delay, 1.0), self._event.set)
            try:
                await self._event.wait()
            finally:
                timer.cancel()

    async def _acquire_identity(self, identity: ProducerIdentity) -> None:
        """One round of InitProducerId; on failure a pause, after which the loop asks
        again (and checks whether the producer is closing)."""
        snapshot_brokers = list(self._metadata.snapshot.brokers.values())
        bootstrap = [e for e in self._config.connection.bootstrap_servers
                     if e not in snapshot_brokers]
        conn = self._config.connection
        try:
            await identity.acquire(self._pool, lambda: snapshot_brokers + bootstrap,
                                   timeout_s=conn.request_timeout_ms / 1000)
        except KanalError as exc:
            log.info("no producer id yet: %s", exc)
            self._metadata.request_update()
            timer = asyncio.get_running_loop().call_later(conn.retry_backoff_ms / 1000,
                                                          self._event.set)
            self._event.clear()
            try:
                await self._event.wait()
            finally:
                timer.cancel()

    def _expired_error(self, batch: ProducerBatch) -> KanalError:
        if self._identity is not None:
            self._identity.batch_lost(batch)
        return _expired_error(batch)

    def _spawn(self, node: int, batches: list[ProducerBatch]) -> None:
        self._in_flight[node] += 1
        task = asyncio.get_running_loop().create_task(self._send(node, batches))
        self._requests.add(task)
        task.add_done_callback(self._requests.discard)

    async def _send(self, node: int, batches: list[ProducerBatch]) -> None:
        by_tp: dict[TopicPartition, list[ProducerBatch]] = defaultdict(list)
        for batch in batches:
            by_tp[batch.tp].append(batch)
        try:
            if self._tracing is None:
                await self._exchange(node, by_tp, self._pool.metadata)
            else:
                with self._tracing.request(node, by_tp, self._pool.metadata) as metadata:
                    await self._exchange(node, by_tp, metadata)
        except asyncio.CancelledError:
            for tp_batches in by_tp.values():
                for batch in tp_batches:
                    self._acc.fail(batch, KanalTimeoutError("producer closed before an answer"))
            raise
        finally:
            self._in_flight[node] -= 1
            self._acc.unmute(by_tp)
            self._event.set()

    def _request(self, by_tp: dict[TopicPartition, list[ProducerBatch]]) -> bytes:
        """The serialized ProduceRequest: one join of the batches (produce_request.py)."""
        topics: dict[str, list[PartitionData]] = {}
        for tp, tp_batches in by_tp.items():
            topics.setdefault(tp.topic, []).append(
                (tp.partition, [batch.encoded() for batch in tp_batches])
            )
        return encode_produce_request(
            correlation_id=next(self._correlation), acks=self._config.acks,
            timeout_ms=self._config.connection.request_timeout_ms, topics=list(topics.items()),
        )

    async def _exchange(self, node: int, by_tp: dict[TopicPartition, list[ProducerBatch]],
                        metadata: Metadata) -> None:
        request = self._request(by_tp)
        endpoint = self._metadata.snapshot.brokers.get(node)
        self.metrics.requests_sent += 1
        if endpoint is None:
            self._retry_all(by_tp, BrokerNotAvailable(f"broker {node} left the metadata"))
            return
        produce = self._pool.produce(endpoint)
        timeout = self._config.connection.request_timeout_ms / 1000
        call = produce(request, timeout=timeout, metadata=metadata)
        if self._config.acks == ACKS_NONE:
            # Nobody waits for acks=0: the records count as sent once the request is issued.
            self._done([(b, -1, -1) for tp_batches in by_tp.values() for b in tp_batches])
            with contextlib.suppress(grpc.aio.AioRpcError):
                await call
            return
        try:
            response = await call
        except grpc.aio.AioRpcError as exc:
            self._retry_all(by_tp, error_from_rpc(exc))
            return
        answered: set[TopicPartition] = set()
        acknowledged: list[tuple[ProducerBatch, int, int]] = []
        for topic in response.topics:
            for part in topic.partitions:
                tp = TopicPartition(topic.topic, part.partition)
                if tp not in by_tp or tp in answered:
                    continue
                tp_batches = by_tp[tp]
                answered.add(tp)
                if part.error_code:
                    error = error_for_code(part.error_code, part.error_message)
                    self._retry_or_fail(tp_batches, error, part.error_code)
                    continue
                base = part.base_offset
                for batch in tp_batches:
                    acknowledged.append((batch, base, part.log_append_time_ms))
                    base += batch.record_count
        self._done(acknowledged)
        missing = {tp: b for tp, b in by_tp.items() if tp not in answered}
        if missing:
            self._retry_all(missing, RequestTimedOut("the broker's answer left out the partition"))

    def _done(self, outcomes: list[tuple[ProducerBatch, int, int]]) -> None:
        self.metrics.batches_sent += len(outcomes)
        self.metrics.records_sent += sum(batch.record_count for batch, _, _ in outcomes)
        self._acc.complete(outcomes)

    def _retry_all(
        self, by_tp: dict[TopicPartition, list[ProducerBatch]], error: KanalError
    ) -> None:
        for tp_batches in by_tp.values():
            self._retry_or_fail(tp_batches, error, BrokerNotAvailable.code)

    def _retry_or_fail(self, batches: list[ProducerBatch], error: KanalError, code: int) -> None:
        now = time.monotonic()
        if error.retriable and (code in METADATA_STALE_CODES or code == BrokerNotAvailable.code):
            self._metadata.request_update()
        retry = [
            b for b in batches
            if error.retriable
            and b.attempts < self._config.retries
            and now - b.created < self._config.delivery_timeout_ms / 1000
        ]
        if len(retry) != len(batches):
            # Order within a partition: once one batch fails for good, so do the later ones.
            self.metrics.errors += len(batches)
            for batch in batches:
                if self._identity is not None:
                    self._identity.batch_lost(batch)
                self._acc.fail(batch, error)
            return
        self.metrics.retries += len(batches)
        attempt = max(b.attempts for b in batches) + 1
        for batch in batches:
            batch.attempts = attempt
        conn = self._config.connection
        pause = backoff_s(attempt, conn.retry_backoff_ms, conn.retry_backoff_max_ms)
        log.debug("retrying %d batches of %s in %.3fs: %s", len(batches), batches[0].tp, pause,
                  error)
        self._acc.requeue(batches, now + pause)


def _expired_error(batch: ProducerBatch) -> KanalError:
    return KanalTimeoutError(
        f"{batch.record_count} records for {batch.tp.topic}-{batch.tp.partition} not delivered "
        "within delivery_timeout_ms"
    )


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the producer's sender crashed", exc_info=task.exception())
