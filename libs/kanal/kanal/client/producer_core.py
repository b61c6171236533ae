"""What the sync and asyncio producers share: serialization, partition choice, the
accumulator, the sender and the metadata they run on. It lives on one event loop; `append`
may be called from any thread, everything else on that loop."""

from __future__ import annotations

import asyncio
import enum
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from kanal.client.accumulator import RecordAccumulator
from kanal.client.buffer_pool import BufferPool
from kanal.client.config import ProducerConfig
from kanal.client.connection import ConnectionPool
from kanal.client.futures import FutureRecordMetadata
from kanal.client.idempotence import MAX_IN_FLIGHT, ProducerIdentity
from kanal.client.metadata import ClusterMetadata, MetadataManager
from kanal.client.producer_batch import AccumulatorConfig
from kanal.client.sender import Sender
from kanal.errors import (
    ClientClosed,
    ConfigurationError,
    KanalTimeoutError,
    UnknownTopicOrPartition,
)
from kanal.partitioner import DefaultPartitioner
from kanal.records.builder import InputHeaders
from kanal.records.compression import codec_from_name
from kanal.tracing.producer import ProducerTracing
from kanal.types import ACKS_ALL, TopicPartition

log = logging.getLogger(__name__)

# (all partition ids, those with a leader, TopicPartition by id): the last saves send() from
# building a TopicPartition per record.
Partitions = tuple[tuple[int, ...], tuple[int, ...], dict[int, TopicPartition]]


class Shortage(enum.Enum):
    """Why a record could not be appended without waiting."""

    METADATA = "the topic's partitions are not known yet"
    MEMORY = "buffer_memory is spent"


def validate(config: ProducerConfig) -> int:
    """Check the settings that cannot work; return the compression codec id."""
    if config.batch_size <= 0 or config.max_request_size <= 0 or config.buffer_memory <= 0:
        raise ConfigurationError("batch_size, max_request_size and buffer_memory must be > 0")
    if config.linger_ms < 0 or config.max_in_flight_requests_per_connection < 1:
        raise ConfigurationError("linger_ms must be >= 0 and max_in_flight >= 1")
    if config.enable_idempotence:
        conflict = _idempotence_conflict(config)
        if conflict:
            raise ConfigurationError(f"enable_idempotence=True needs {conflict}")
    return codec_from_name(config.compression_type) if config.compression_type else 0


def idempotence_enabled(config: ProducerConfig) -> bool:
    """Kafka 3's default: on unless set off; left unset, it is off when another setting
    conflicts with it (acks other than "all", retries=0, more than five requests in
    flight), as in Kafka since 3.2. Explicitly on with a conflict is a ConfigurationError."""
    if config.enable_idempotence is None:
        return not _idempotence_conflict(config)
    return config.enable_idempotence


def _idempotence_conflict(config: ProducerConfig) -> str:
    if config.acks != ACKS_ALL:
        return "acks='all'"
    if config.retries < 1:
        return "retries >= 1"
    if config.max_in_flight_requests_per_connection > MAX_IN_FLIGHT:
        return f"max_in_flight_requests_per_connection <= {MAX_IN_FLIGHT}"
    return ""


class ProducerCore:
    def __init__(self, config: ProducerConfig) -> None:
        codec = validate(config)
        idempotent = idempotence_enabled(config)
        self.config = config
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self.pool = ConnectionPool(config.connection.client_id)
        self.metadata = MetadataManager(self.pool, config.connection)
        self.metadata.add_listener(self._on_metadata)
        self.buffer = BufferPool(config.buffer_memory)
        self.buffer.add_release_listener(self._on_release)
        # None unless an OpenTelemetry SDK is installed: then batches get spans, and send()
        # under a recording caller span a span per record.
        self.tracing = ProducerTracing.if_active(config.connection.client_id)
        self.accumulator = RecordAccumulator(
            AccumulatorConfig(
                batch_size=config.batch_size,
                linger_s=config.linger_ms / 1000,
                max_request_size=config.max_request_size,
                delivery_timeout_s=config.delivery_timeout_ms / 1000,
                codec=codec,
                idempotent=idempotent,
            ),
            self.buffer,
            self._wake_sender,
            None if self.tracing is None else self.tracing.open_batch,
        )
        self.sender = Sender(config, self.accumulator, self.metadata, self.pool,
                             ProducerIdentity() if idempotent else None, tracing=self.tracing)
        self.memory_freed = asyncio.Event()
        self._partitions: dict[str, Partitions] = {}
        self._default = DefaultPartitioner() if config.partitioner is None else None
        # The keyless partition of each topic, kept by the accumulator so that the common
        # case skips the partitioner; it moves only when a new batch is needed (on_new_batch).
        self._sticky = self.accumulator.sticky
        self._custom = config.partitioner
        self.closed = False
        self.sender.start()
        self.metadata.start()

    # ---- any thread ------------------------------------------------------------------------

    def _on_loop(self, callback: Callable[[], None]) -> None:
        if threading.get_ident() == self._loop_thread:
            callback()
        elif not self._loop.is_closed():
            self._loop.call_soon_threadsafe(callback)

    def _wake_sender(self) -> None:
        self._on_loop(self.sender.wake)

    def _on_release(self) -> None:
        self._on_loop(self.memory_freed.set)

    def append(  # noqa: PLR0917 - the send() hot path avoids keyword passing
        self, topic: str, key: bytes | None, value: bytes | None, headers: InputHeaders | None,
        partition: int | None, timestamp_ms: int | None, max_block_s: float | None,
    ) -> FutureRecordMetadata | Shortage:
        """Append a serialized record: blocks up to `max_block_s` for memory, or (None) returns
        Shortage.MEMORY instead; Shortage.METADATA until the topic's partitions are known."""
        if key is None and partition is None:
            # The common case first: a keyless record for the topic's sticky partition, whose
            # open batch has room.
            future = self.accumulator.append_sticky(topic, timestamp_ms, value, headers)
            if future is not None:
                return future
        return self._append(topic, key, value, headers, partition, timestamp_ms, max_block_s)

    def _append(  # noqa: PLR0917 - the rest of append()
        self, topic: str, key: bytes | None, value: bytes | None, headers: InputHeaders | None,
        partition: int | None, timestamp_ms: int | None, max_block_s: float | None,
    ) -> FutureRecordMetadata | Shortage:
        if self.closed:
            raise ClientClosed("the producer is closed")
        partitions = self._partitions.get(topic)
        if partitions is None:
            return Shortage.METADATA
        acc = self.accumulator
        if partition is None:
            default = self._default
            if default is None:
                partition = self._custom_partition(key, partitions)
            elif key is not None:
                partition = default(key, partitions[0], partitions[1], topic=topic)
            else:
                sticky = self._sticky.get(topic)
                if sticky is not None:
                    future = acc.append_to_open_batch(sticky, timestamp_ms, None, value, headers)
                    if future is not None:
                        return future
                    # KIP-480: a keyless record that needs a new batch moves on first.
                    partition = default.on_new_batch(
                        sticky.partition, partitions[0], partitions[1], topic=topic
                    )
                else:
                    partition = default(None, partitions[0], partitions[1], topic=topic)
                acc.set_sticky(partitions[2][partition])
        elif partition not in partitions[0]:
            raise UnknownTopicOrPartition(
                f"partition {partition} of {topic!r} does not exist (it has {len(partitions[0])})"
            )
        tp = partitions[2][partition]
        if max_block_s is None:
            future = acc.try_append(tp, timestamp_ms, key, value, headers)
            return Shortage.MEMORY if future is None else future
        return acc.append(tp, timestamp_ms, key, value, headers, max_block_s)

    def _custom_partition(self, key: bytes | None, partitions: Partitions) -> int:
        custom: Any = self._custom
        # Objects with a `partition(key, all_partitions)` method, as the seed guide writes
        # them, as well as kafka-python's callables.
        method = getattr(custom, "partition", None)
        if callable(method) and not callable(custom):
            return int(method(key, list(partitions[0])))
        return int(custom(key, list(partitions[0]), list(partitions[1])))

    def partitions_for(self, topic: str) -> Partitions | None:
        return self._partitions.get(topic)

    # ---- on the loop ----------------------------------------------------------------------

    def _on_metadata(self, snapshot: ClusterMetadata) -> None:
        for topic in list(self._partitions):
            self._remember(snapshot, topic)

    def _remember(self, snapshot: ClusterMetadata, topic: str) -> None:
        all_partitions = snapshot.partitions_for(topic)
        if all_partitions is not None:
            self._partitions[topic] = (
                all_partitions,
                snapshot.available_partitions(topic),
                {p: TopicPartition(topic, p) for p in all_partitions},
            )

    async def ensure_topic(self, topic: str) -> Partitions:
        """Wait (up to max_block_ms) until the topic's partitions are known."""
        await self.metadata.wait_for_topic(topic, self.config.max_block_ms / 1000)
        self._remember(self.metadata.snapshot, topic)
        return self._partitions[topic]

    async def wait_for_memory(self, deadline: float) -> None:
        self.memory_freed.clear()
        self.buffer.mark_waiting(1)
        self.sender.wake()
        try:
            await asyncio.wait_for(self.memory_freed.wait(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise KanalTimeoutError("buffer_memory exhausted for max_block_ms") from None
        finally:
            self.buffer.mark_waiting(-1)

    async def flush(self, timeout_s: float | None) -> None:
        self.accumulator.begin_flush()
        try:
            pending = self.accumulator.incomplete()
            waits = [result.wait_async() for result in pending]
            if waits:
                try:
                    await asyncio.wait_for(asyncio.gather(*waits), timeout_s)
                except TimeoutError:
                    raise KanalTimeoutError(f"flush did not finish within {timeout_s}s") from None
        finally:
            self.accumulator.end_flush()

    async def close(self, timeout_s: float | None) -> None:
        if self.closed:
            return
        self.closed = True
        self.accumulator.begin_close()
        try:
            await self.flush(timeout_s)
        except KanalTimeoutError:
            log.warning("closing the producer with unsent records: they fail with ClientClosed")
        self.accumulator.abort_all(ClientClosed("the producer closed before sending the record"))
        await self.sender.stop(self.config.connection.request_timeout_ms / 1000)
        await self.metadata.close()
        await self.pool.close()

    def metrics(self) -> dict[str, dict[str, float]]:
        m = self.sender.metrics
        return {
            "producer-metrics": {
                "record-send-total": m.records_sent,
                "batch-send-total": m.batches_sent,
                "request-total": m.requests_sent,
                "record-retry-total": m.retries,
                "record-error-total": m.errors,
                "buffer-total-bytes": self.buffer.total_bytes,
                "buffer-available-bytes": self.buffer.available,
            }
        }

