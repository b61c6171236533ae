"""The consumer's background fetcher: one Fetch per leader broker carrying all the assigned
partitions it leads, the next one issued as soon as the answer is in (while poll() decodes the
last), and position resets through ListOffsets. It runs on the client's event loop and talks
to poll() only through the FetchBuffer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict

import grpc

from kanal.client.config import ConsumerConfig
from kanal.client.connection import ConnectionPool
from kanal.client.fetch_buffer import FetchBuffer, ResetStrategy
from kanal.client.metadata import MetadataManager
from kanal.client.offsets import OffsetLookup
from kanal.client.retry import METADATA_STALE_CODES, backoff_s, error_from_rpc
from kanal.errors import KanalError, MessageTooLarge, OffsetOutOfRange, error_for_code
from kanal.records.header import iter_complete_batches
from kanal.tracing.fetch import fetch_span
from kanal.types import TopicPartition
from kanal.v1 import broker_pb2

log = logging.getLogger(__name__)

FetchTarget = tuple[TopicPartition, int, int]  # partition, fetch offset, generation


class Fetcher:
    def __init__(
        self, config: ConsumerConfig, buffer: FetchBuffer, metadata: MetadataManager,
        pool: ConnectionPool, offsets: OffsetLookup,
    ) -> None:
        self._config = config
        self._buffer = buffer
        self._metadata = metadata
        self._pool = pool
        self._offsets = offsets
        self._event = asyncio.Event()
        self._busy: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._reset_task: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._running = False
        # Prefetch bound: a partition with this much undecoded data waits for poll().
        self._max_buffered = config.max_partition_fetch_bytes
        conn = config.connection
        self._backoff = (conn.retry_backoff_ms, conn.retry_backoff_max_ms)
        self._failures = 0

    def wake(self) -> None:
        self._event.set()

    def start(self) -> None:
        self._running = True
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self._running = False
        tasks = [t for t in (self._task, self._reset_task, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, KanalError):
                await task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self._running:
            self._event.clear()
            resets = self._buffer.needs_reset()
            if resets and (self._reset_task is None or self._reset_task.done()):
                self._reset_task = loop.create_task(self._reset(resets))
            snapshot = self._metadata.snapshot
            ready, unknown = self._buffer.fetchable(
                time.monotonic(), self._max_buffered, snapshot.leader_for, self._busy
            )
            if unknown:
                self._metadata.request_update()
            for leader, targets in ready.items():
                self._busy.add(leader)
                task = loop.create_task(self._fetch(leader, targets))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            timer = loop.call_later(0.1 if unknown or resets else 1.0, self._event.set)
            try:
                await self._event.wait()
            finally:
                timer.cancel()

    def _request(self, targets: list[FetchTarget]) -> broker_pb2.FetchRequest:
        config = self._config
        topics: dict[str, list[broker_pb2.FetchPartition]] = defaultdict(list)
        for tp, offset, _ in targets:
            topics[tp.topic].append(broker_pb2.FetchPartition(
                partition=tp.partition, fetch_offset=offset,
                partition_max_bytes=config.max_partition_fetch_bytes,
                current_leader_epoch=-1,
            ))
        return broker_pb2.FetchRequest(
            replica_id=-1,
            max_wait_ms=config.fetch_max_wait_ms,
            min_bytes=config.fetch_min_bytes,
            max_bytes=config.fetch_max_bytes,
            isolation_level=config.isolation_level,
            topics=[broker_pb2.FetchTopic(topic=t, partitions=p) for t, p in topics.items()],
        )

    async def _fetch(self, leader: int, targets: list[FetchTarget]) -> None:
        try:
            await self._exchange(leader, targets)
        finally:
            self._busy.discard(leader)
            for tp, _, _ in targets:
                self._buffer.release(tp)
            self._event.set()

    async def _exchange(self, leader: int, targets: list[FetchTarget]) -> None:
        endpoint = self._metadata.snapshot.brokers.get(leader)
        if endpoint is None:
            self._metadata.request_update()
            return
        timeout = (self._config.connection.request_timeout_ms + self._config.fetch_max_wait_ms)
        started_ns = time.time_ns()
        try:
            response = await self._pool.broker(endpoint).Fetch(
                self._request(targets), timeout=timeout / 1000, metadata=self._pool.metadata
            )
        except grpc.aio.AioRpcError as exc:
            self._failures += 1
            error = error_from_rpc(exc)
            log.debug("fetch from broker %d failed: %s", leader, error)
            self._metadata.request_update()
            retry_at = time.monotonic() + backoff_s(self._failures, *self._backoff)
            for tp, _, generation in targets:
                self._buffer.fetch_failed(tp, generation, None if error.retriable else error,
                                          retry_at)
            return
        self._failures = 0
        # None unless tracing is on and records came (kanal.tracing.fetch).
        span = fetch_span("fetch", leader, response, started_ns)
        asked = {tp: (offset, generation) for tp, offset, generation in targets}
        for topic in response.topics:
            for part in topic.partitions:
                tp = TopicPartition(topic.topic, part.partition)
                if tp not in asked:
                    continue
                offset, generation = asked[tp]
                if part.error_code:
                    self._partition_error(tp, generation, offset, part)
                else:
                    self._accept(tp, generation, offset, part)
        if span is not None:
            span.end()

    def _accept(
        self, tp: TopicPartition, generation: int, offset: int,
        part: broker_pb2.FetchPartitionResponse,
    ) -> None:
        records = part.records
        next_offset = offset
        for _, header in iter_complete_batches(records):
            next_offset = header.next_offset
        if records and next_offset == offset:
            error = MessageTooLarge(
                f"{tp.topic}-{tp.partition}: the batch at offset {offset} is larger than "
                f"max_partition_fetch_bytes ({self._config.max_partition_fetch_bytes})"
            )
            self._buffer.fetch_failed(tp, generation, error, 0.0)
            return
        self._buffer.add_fetch(tp, generation, records, next_offset, part.high_watermark)

    def _partition_error(
        self, tp: TopicPartition, generation: int, offset: int,
        part: broker_pb2.FetchPartitionResponse,
    ) -> None:
        error = error_for_code(part.error_code, part.error_message)
        if isinstance(error, OffsetOutOfRange):
            reset = self._buffer.default_reset
            if reset is None:
                error = OffsetOutOfRange(
                    f"{tp.topic}-{tp.partition}: offset {offset} is out of range and "
                    "auto_offset_reset is 'none'"
                )
                self._buffer.fetch_failed(tp, generation, error, 0.0)
            else:
                log.info("%s-%d: offset %d out of range; resetting", tp.topic, tp.partition,
                         offset)
                self._buffer.fetch_failed(tp, generation, None, 0.0, reset_to=reset)
            return
        if error.retriable:
            if part.error_code in METADATA_STALE_CODES:
                self._metadata.request_update()
            retry_at = time.monotonic() + self._config.connection.retry_backoff_ms / 1000
            self._buffer.fetch_failed(tp, generation, None, retry_at)
        else:
            self._buffer.fetch_failed(tp, generation, error, 0.0)

    async def _reset(self, resets: list[tuple[TopicPartition, ResetStrategy, int]]) -> None:
        targets = {tp: strategy for tp, strategy, _ in resets}
        generations = {tp: generation for tp, _, generation in resets}
        try:
            found = await self._offsets.lookup(
                targets, self._config.connection.request_timeout_ms / 1000
            )
        except KanalError as exc:
            log.warning("offset reset failed, will retry: %s", exc)
            await asyncio.sleep(self._config.connection.retry_backoff_ms / 1000)
            return
        for tp, answer in found.items():
            self._buffer.reset_done(tp, generations[tp], answer.offset if answer else 0)
        self._event.set()
