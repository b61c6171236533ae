"""ListOffsets, asked of each partition's leader: log start and end, and offsets by time."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Mapping
from typing import NamedTuple

import grpc

from kanal.client.connection import ConnectionPool
from kanal.client.metadata import MetadataManager
from kanal.client.retry import backoff_s, error_from_rpc
from kanal.errors import KanalError, KanalTimeoutError, LeaderNotAvailable, error_for_code
from kanal.types import TopicPartition
from kanal.v1 import broker_pb2


class OffsetAndTimestamp(NamedTuple):
    """kafka-python's shape: the first offset at or after a timestamp, and its timestamp."""

    offset: int
    timestamp: int


class OffsetLookup:
    def __init__(
        self, pool: ConnectionPool, metadata: MetadataManager, request_timeout_s: float,
        backoff_ms: tuple[int, int], isolation_level: int = 0,
    ) -> None:
        self._pool = pool
        self._metadata = metadata
        self._timeout = request_timeout_s
        self._backoff = backoff_ms
        self._isolation = isolation_level

    async def lookup(
        self, targets: Mapping[TopicPartition, int], timeout_s: float
    ) -> dict[TopicPartition, OffsetAndTimestamp | None]:
        """For each partition, the offset for its timestamp target (LATEST_TIMESTAMP,
        EARLIEST_TIMESTAMP, MAX_TIMESTAMP or ms); None when no record matches a time.
        Retries retriable errors (refreshing metadata) until `timeout_s`."""
        self._metadata.want_topics({tp.topic for tp in targets})
        deadline = time.monotonic() + timeout_s
        pending = dict(targets)
        found: dict[TopicPartition, OffsetAndTimestamp | None] = {}
        attempt = 0
        last_error: KanalError | None = None
        while pending:
            snapshot = self._metadata.snapshot
            by_leader: dict[int, dict[TopicPartition, int]] = defaultdict(dict)
            for tp, target in pending.items():
                leader = snapshot.leader_for(tp)
                if leader is not None:
                    by_leader[leader][tp] = target
                else:
                    last_error = LeaderNotAvailable(f"no leader for {tp.topic}-{tp.partition}")
            answers = await asyncio.gather(
                *(self._ask(leader, group) for leader, group in by_leader.items())
            )
            for answer in answers:
                for tp, outcome in answer.items():
                    if isinstance(outcome, KanalError):
                        if not outcome.retriable:
                            raise outcome
                        last_error = outcome
                    else:
                        found[tp] = outcome
                        pending.pop(tp, None)
            if not pending:
                break
            attempt += 1
            if time.monotonic() >= deadline:
                raise KanalTimeoutError(f"offsets not found within {timeout_s:g}s: {last_error}")
            await asyncio.sleep(backoff_s(attempt, *self._backoff))
            try:
                await self._metadata.refresh()
            except KanalError as exc:
                last_error = exc
        return found

    async def _ask(
        self, leader: int, targets: dict[TopicPartition, int]
    ) -> dict[TopicPartition, OffsetAndTimestamp | KanalError | None]:
        endpoint = self._metadata.snapshot.brokers[leader]
        topics: dict[str, list[broker_pb2.ListOffsetsPartition]] = defaultdict(list)
        for tp, target in targets.items():
            topics[tp.topic].append(
                broker_pb2.ListOffsetsPartition(partition=tp.partition, timestamp=target)
            )
        request = broker_pb2.ListOffsetsRequest(
            isolation_level=self._isolation,
            topics=[broker_pb2.ListOffsetsTopic(topic=t, partitions=p) for t, p in topics.items()],
        )
        try:
            response = await self._pool.broker(endpoint).ListOffsets(
                request, timeout=self._timeout, metadata=self._pool.metadata
            )
        except grpc.aio.AioRpcError as exc:
            error = error_from_rpc(exc)
            return dict.fromkeys(targets, error)
        out: dict[TopicPartition, OffsetAndTimestamp | KanalError | None] = {}
        for topic in response.topics:
            for part in topic.partitions:
                tp = TopicPartition(topic.topic, part.partition)
                if part.error_code:
                    out[tp] = error_for_code(part.error_code, part.error_message)
                elif part.offset < 0:
                    out[tp] = None
                else:
                    out[tp] = OffsetAndTimestamp(part.offset, part.timestamp)
        return out
