"""Fetch: stored batches from each partition's leader, never beyond the high watermark.

Budget: each partition gets at most partition_max_bytes, the answer at most max_bytes, except
that the first partition with data always gets one whole batch (so a batch larger than the
limits still makes progress, as in Kafka). Long poll: while fewer than min_bytes are ready
and max_wait_ms has not passed, the request waits on the partitions' data notifications.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass

from kanal.errors import (
    FencedLeaderEpoch,
    InvalidFetchSize,
    InvalidRequest,
    UnknownLeaderEpoch,
)
from kanal.types import TopicPartition
from kanal.v1 import broker_pb2

from kanal_broker.handlers.outcome import partition_error, wire_code
from kanal_broker.metrics import BrokerMetrics
from kanal_broker.partition import Partition
from kanal_broker.replica_manager import ReplicaManager

CONSUMER_REPLICA_ID = -1
NO_EPOCH = -1


@dataclass(frozen=True, slots=True)
class _Wanted:
    tp: TopicPartition
    offset: int
    max_bytes: int
    current_leader_epoch: int


def validate_fetch(request: broker_pb2.FetchRequest) -> None:
    """Request-level checks: INVALID_REQUEST for the whole request."""
    if request.max_bytes < 0 or request.min_bytes < 0 or request.max_wait_ms < 0:
        raise InvalidRequest(
            f"max_bytes ({request.max_bytes}), min_bytes ({request.min_bytes}) and "
            f"max_wait_ms ({request.max_wait_ms}) must not be negative")
    if request.isolation_level not in (0, 1):
        raise InvalidRequest(f"isolation_level {request.isolation_level}: must be 0 or 1")


class FetchHandler:
    def __init__(self, replicas: ReplicaManager, metrics: BrokerMetrics) -> None:
        self._replicas = replicas
        self._metrics = metrics

    @property
    def stopping(self) -> bool:
        """The broker is shutting down: long polls answer at once, streams end."""
        return self._replicas.stopping

    async def fetch(self, request: broker_pb2.FetchRequest) -> broker_pb2.FetchResponse:
        validate_fetch(request)
        wanted = [_Wanted(TopicPartition(t.topic, p.partition), p.fetch_offset,
                          p.partition_max_bytes, p.current_leader_epoch)
                  for t in request.topics for p in t.partitions]
        deadline = time.monotonic() + request.max_wait_ms / 1000
        loop = asyncio.get_running_loop()
        while True:
            # Registered before reading, so an append between the read and the wait wakes us.
            waiter: asyncio.Future[None] = loop.create_future()
            watched = [p for w in wanted if (p := self._replicas.partitions.get(w.tp))]
            for partition in watched:
                # A follower waits for new records; a consumer for newly committed ones.
                partition.add_waiter(waiter, log_end=request.replica_id != CONSUMER_REPLICA_ID)
            try:
                answers = await self._read_all(request, wanted)
                ready = sum(len(a.records) for a in answers)
                errors = any(a.error_code for a in answers)
                remaining = deadline - time.monotonic()
                if (ready >= request.min_bytes or errors or remaining <= 0 or not watched
                        or self._replicas.stopping):
                    break
                try:
                    await asyncio.wait_for(asyncio.shield(waiter), remaining)
                except TimeoutError:
                    break  # nothing was appended: the answers just read still stand
            finally:
                for partition in watched:
                    partition.remove_waiter(waiter)
        for answer, want in zip(answers, wanted, strict=True):
            if answer.records:
                self._metrics.bytes_out.labels(want.tp.topic).inc(len(answer.records))
        return _assemble(request, iter(answers))

    async def _read_all(self, request: broker_pb2.FetchRequest,
                        wanted: list[_Wanted]) -> list[broker_pb2.FetchPartitionResponse]:
        used = 0
        answers = []
        for want in wanted:
            answer = await self._read_one(request, want, request.max_bytes - used,
                                          first=used == 0)
            used += len(answer.records)
            answers.append(answer)
        return answers

    async def _read_one(self, request: broker_pb2.FetchRequest, want: _Wanted, budget: int,
                        *, first: bool) -> broker_pb2.FetchPartitionResponse:
        answer = broker_pb2.FetchPartitionResponse(
            partition=want.tp.partition, high_watermark=-1, last_stable_offset=-1,
            log_start_offset=-1)
        try:
            if want.max_bytes < 0:
                raise InvalidFetchSize(f"partition_max_bytes {want.max_bytes} is negative")
            partition = self._replicas.leader(want.tp)
            check_epoch(partition, want.current_leader_epoch)
            if request.replica_id != CONSUMER_REPLICA_ID:
                # The fetch offset is the follower's log end: it may commit more.
                await self._replicas.follower_fetched(partition, request.replica_id,
                                                      want.offset)
            offsets = partition.offsets
            # Followers (replica_id >= 0) may read up to the log end; consumers only what is
            # committed. Until transactions exist the last stable offset is the watermark.
            max_bytes = max(0, min(want.max_bytes, budget))
            if request.replica_id == CONSUMER_REPLICA_ID:
                records = (await partition.read(want.offset, max_bytes,
                                                max_offset=offsets.high_watermark,
                                                min_one_batch=first)).records
            else:
                records = await partition.read_for_follower(want.offset, max_bytes,
                                                            min_one_batch=first)
            offsets = partition.offsets
        except Exception as exc:  # sorted by partition_error
            error = partition_error(exc)
            answer.error_code = wire_code(error)
            answer.error_message = error.message
            known = self._replicas.partitions.get(want.tp)
            if known is not None:
                answer.log_start_offset = known.offsets.log_start_offset
            return answer
        answer.high_watermark = offsets.high_watermark
        answer.last_stable_offset = offsets.high_watermark
        answer.log_start_offset = offsets.log_start_offset
        answer.records = records
        return answer


def check_epoch(partition: Partition, requested: int) -> None:
    leader_epoch = partition.leader_epoch()
    if leader_epoch is None or requested in (NO_EPOCH, leader_epoch):
        return
    if requested < leader_epoch:
        raise FencedLeaderEpoch(
            f"leader epoch {requested} is older than this leader's {leader_epoch}")
    raise UnknownLeaderEpoch(
        f"leader epoch {requested} is newer than this leader's {leader_epoch}")


def _assemble(request: broker_pb2.FetchRequest,
              answers: Iterator[broker_pb2.FetchPartitionResponse]) -> broker_pb2.FetchResponse:
    response = broker_pb2.FetchResponse()
    for topic in request.topics:
        response.topics.append(broker_pb2.FetchTopicResponse(
            topic=topic.topic, partitions=[next(answers) for _ in topic.partitions]))
    return response
