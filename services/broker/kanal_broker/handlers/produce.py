"""Produce: append each partition's batches on its leader; every partition stands alone.

Checks run cheapest first and nothing is appended for a refused partition: acks, topic and
leadership, the broker-wide size cap (before any byte is decoded), min.insync.replicas for
acks=all; then the log validates header and CRC of every batch all-or-nothing. acks=all
then waits until the high watermark passes the appended offsets (`Partition.wait_committed`),
i.e. until every ISR member has fetched them, and checks the ISR is still large enough.

ProduceStream runs the same code per message. `PartitionOrder` keeps the appends of one
stream to one partition in arrival order while messages for other partitions go ahead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field

from kanal.errors import (
    CorruptRecord,
    InvalidRequiredAcks,
    MessageTooLarge,
    NotEnoughReplicas,
    NotEnoughReplicasAfterAppend,
    RequestTimedOut,
)
from kanal.tracing import attributes as attr
from kanal.tracing.spans import Attributes, child_span
from kanal.types import ACKS_ALL, ACKS_LEADER, ACKS_NONE, TopicPartition
from kanal.v1 import broker_pb2

from kanal_broker.handlers.outcome import partition_error, wire_code
from kanal_broker.metrics import BrokerMetrics
from kanal_broker.partition import Partition
from kanal_broker.replica_manager import ReplicaManager

_VALID_ACKS = (ACKS_NONE, ACKS_LEADER, ACKS_ALL)


@dataclass
class PartitionOrder:
    """Per-stream chain of appends per partition: each waits for the previous one."""

    _tails: dict[TopicPartition, asyncio.Future[None]] = field(default_factory=dict)

    def claim(self, tp: TopicPartition) -> tuple[asyncio.Future[None] | None,
                                                 asyncio.Future[None]]:
        """(what to wait for, what to resolve when done); call in arrival order."""
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        previous = self._tails.get(tp)
        self._tails[tp] = mine
        return previous, mine


@dataclass(frozen=True, slots=True)
class _Turn:
    before: asyncio.Future[None] | None
    done: asyncio.Future[None] | None


class ProduceHandler:
    def __init__(self, replicas: ReplicaManager, metrics: BrokerMetrics, *,
                 message_max_bytes: int) -> None:
        self._replicas = replicas
        self._metrics = metrics
        self._message_max_bytes = message_max_bytes

    async def produce(self, request: broker_pb2.ProduceRequest,
                      order: PartitionOrder | None = None) -> broker_pb2.ProduceResponse:
        # Turns are claimed before the first await, so they follow the stream's order.
        jobs: list[Awaitable[broker_pb2.PartitionProduceResponse]] = []
        for topic in request.topics:
            for data in topic.partitions:
                tp = TopicPartition(topic.topic, data.partition)
                turn = _Turn(*order.claim(tp)) if order else _Turn(None, None)
                jobs.append(self._one(tp, data.records, request.acks, request.timeout_ms, turn))
        # One partition (the common case at low latency) needs no task of its own.
        answers = iter([await jobs[0]] if len(jobs) == 1 else await asyncio.gather(*jobs))
        response = broker_pb2.ProduceResponse(correlation_id=request.correlation_id)
        for topic in request.topics:
            response.topics.append(broker_pb2.TopicProduceResponse(
                topic=topic.topic, partitions=[next(answers) for _ in topic.partitions]))
        return response

    async def _one(self, tp: TopicPartition, records: bytes, acks: int, timeout_ms: int,
                   turn: _Turn) -> broker_pb2.PartitionProduceResponse:
        try:
            if turn.before is not None:
                # Shielded: our cancellation must not cancel the previous message's turn.
                await asyncio.shield(turn.before)
            return await self._append(tp, records, acks, timeout_ms)
        finally:
            if turn.done is not None and not turn.done.done():
                turn.done.set_result(None)

    async def _append(self, tp: TopicPartition, records: bytes, acks: int,
                      timeout_ms: int) -> broker_pb2.PartitionProduceResponse:
        try:
            if acks not in _VALID_ACKS:
                raise InvalidRequiredAcks(f"acks={acks}; it must be 0, 1 or -1 (all)")
            partition = self._replicas.leader(tp)
            if len(records) > self._message_max_bytes:
                raise MessageTooLarge(
                    f"{len(records)} bytes of record batches for {tp.topic}-{tp.partition}; "
                    f"the broker accepts at most {self._message_max_bytes} (message.max.bytes)")
            if not records:
                raise CorruptRecord("no record batch in the partition data")
            if acks == ACKS_ALL:
                _check_min_insync(partition)
            # Child spans of a traced request only (kanal.tracing.spans): a no-op otherwise.
            with child_span(f"append {tp.topic}", lambda: _span_attributes(tp, records)):
                info = await partition.append(records)
            if acks == ACKS_ALL:
                with child_span(f"replicate {tp.topic}", lambda: _span_attributes(tp, records)):
                    await _await_isr(partition, info.first_offset, info.last_offset,
                                     timeout_ms)
        except Exception as exc:  # sorted by partition_error
            error = partition_error(exc)
            return broker_pb2.PartitionProduceResponse(
                partition=tp.partition, error_code=wire_code(error), error_message=error.message,
                base_offset=-1, log_append_time_ms=-1,
                log_start_offset=self._log_start(tp))
        self._metrics.messages_in.labels(tp.topic).inc(info.record_count)
        self._metrics.bytes_in.labels(tp.topic).inc(info.bytes)
        return broker_pb2.PartitionProduceResponse(
            partition=tp.partition, base_offset=info.first_offset,
            log_append_time_ms=info.log_append_time_ms, log_start_offset=info.log_start_offset)

    def _log_start(self, tp: TopicPartition) -> int:
        partition = self._replicas.partitions.get(tp)
        return partition.offsets.log_start_offset if partition else -1


async def _await_isr(partition: Partition, first: int, last: int, timeout_ms: int) -> None:
    """acks=all: the high watermark passed the batch, and the ISR that let it pass is still
    at least min.insync.replicas. Without the second check a leader whose followers all
    dropped out would "commit" alone (Kafka's NOT_ENOUGH_REPLICAS_AFTER_APPEND)."""
    if not await partition.wait_committed(last, timeout_s=max(0, timeout_ms) / 1000):
        raise RequestTimedOut(
            f"offsets {first}..{last} appended but not acknowledged by the in-sync replicas "
            f"within {timeout_ms} ms")
    try:
        _check_min_insync(partition)
    except NotEnoughReplicas as exc:
        raise NotEnoughReplicasAfterAppend(
            f"offsets {first}..{last} appended, but {exc.message}") from exc


def _span_attributes(tp: TopicPartition, records: bytes) -> Attributes:
    return {attr.SYSTEM: attr.SYSTEM_NAME, attr.DESTINATION: tp.topic,
            attr.PARTITION: str(tp.partition), attr.BYTES: len(records)}


def _check_min_insync(partition: Partition) -> None:
    state = partition.state
    isr = len(state.isr) if state else 0
    if isr < partition.config.min_insync_replicas:
        raise NotEnoughReplicas(
            f"{partition.tp.topic}-{partition.tp.partition} has {isr} in-sync replicas; "
            f"min.insync.replicas is {partition.config.min_insync_replicas}")
