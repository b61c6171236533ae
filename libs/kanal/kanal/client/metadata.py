"""The client's view of the cluster: brokers, the active controller, and partition leaders.

The view is an immutable snapshot replaced whole on each refresh, so threads read it without
locks. Refreshes happen on demand (a retriable error, an unknown topic), coalesce when several
are asked for at once, and run at least every `metadata_max_age_ms`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import grpc

from kanal.client.config import ConnectionConfig
from kanal.client.connection import ConnectionPool
from kanal.client.retry import error_from_rpc
from kanal.errors import BrokerNotAvailable, KanalError, KanalTimeoutError, error_for_code
from kanal.types import HostPort, TopicPartition
from kanal.v1 import broker_pb2

log = logging.getLogger(__name__)

UNKNOWN_TOPIC_OR_PARTITION = 3


@dataclass(frozen=True, slots=True)
class PartitionInfo:
    partition: int
    leader: int
    leader_epoch: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    offline_replicas: tuple[int, ...]
    error_code: int


@dataclass(frozen=True, slots=True)
class TopicInfo:
    name: str
    error_code: int
    error_message: str
    topic_id: str
    is_internal: bool
    partitions: dict[int, PartitionInfo]


@dataclass(frozen=True, slots=True)
class ClusterMetadata:
    cluster_id: str = ""
    brokers: dict[int, HostPort] = field(default_factory=dict)
    controller: HostPort | None = None
    topics: dict[str, TopicInfo] = field(default_factory=dict)

    def partitions_for(self, topic: str) -> tuple[int, ...] | None:
        """Partition ids of `topic`, or None while the topic is unknown."""
        info = self.topics.get(topic)
        if info is None or not info.partitions:
            return None
        return tuple(sorted(info.partitions))

    def available_partitions(self, topic: str) -> tuple[int, ...]:
        info = self.topics.get(topic)
        if info is None:
            return ()
        return tuple(sorted(p for p, part in info.partitions.items() if part.leader >= 0))

    def leader_for(self, tp: TopicPartition) -> int | None:
        info = self.topics.get(tp.topic)
        part = info.partitions.get(tp.partition) if info is not None else None
        if part is None or part.leader < 0 or part.leader not in self.brokers:
            return None
        return part.leader

    def leader_epoch(self, tp: TopicPartition) -> int:
        info = self.topics.get(tp.topic)
        part = info.partitions.get(tp.partition) if info is not None else None
        return part.leader_epoch if part is not None else -1


def _snapshot(answer: broker_pb2.MetadataResponse) -> ClusterMetadata:
    brokers = {b.broker_id: HostPort(b.endpoint.host, b.endpoint.port) for b in answer.brokers}
    controller = None
    if answer.HasField("controller") and answer.controller.endpoint.port:
        endpoint = answer.controller.endpoint
        controller = HostPort(endpoint.host, endpoint.port)
    topics = {
        t.name: TopicInfo(
            name=t.name,
            error_code=t.error_code,
            error_message=t.error_message,
            topic_id=t.topic_id,
            is_internal=t.is_internal,
            partitions={
                p.partition: PartitionInfo(
                    p.partition, p.leader, p.leader_epoch, tuple(p.replicas), tuple(p.isr),
                    tuple(p.offline_replicas), p.error_code,
                )
                for p in t.partitions
            },
        )
        for t in answer.topics
    }
    return ClusterMetadata(answer.cluster_id, brokers, controller, topics)


class MetadataManager:
    """Owns the snapshot and the refresh task; lives on the client's event loop."""

    def __init__(self, pool: ConnectionPool, config: ConnectionConfig) -> None:
        self._pool = pool
        self._config = config
        self.snapshot = ClusterMetadata()
        self._topics: set[str] = set()
        self._all_topics = False
        self._refreshing: asyncio.Task[ClusterMetadata] | None = None
        self._periodic: asyncio.Task[None] | None = None
        self._last_refresh = 0.0
        self._listeners: list[Callable[[ClusterMetadata], None]] = []
        self._closed = False

    def add_listener(self, listener: Callable[[ClusterMetadata], None]) -> None:
        self._listeners.append(listener)

    def want_topics(self, topics: Iterable[str]) -> bool:
        """Track these topics in later refreshes; True when one of them is new."""
        before = len(self._topics)
        self._topics.update(topics)
        return len(self._topics) != before

    def want_all_topics(self) -> None:
        self._all_topics = True

    def start(self) -> None:
        if self._periodic is None:
            self._periodic = asyncio.get_running_loop().create_task(self._refresh_forever())

    async def close(self) -> None:
        self._closed = True
        for task in (self._periodic, self._refreshing):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, KanalError):
                    await task
        self._periodic = self._refreshing = None

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self._config.metadata_max_age_ms / 1000)
            try:
                await self.refresh()
            except KanalError as exc:
                log.warning("periodic metadata refresh failed: %s", exc)

    def request_update(self) -> None:
        """Refresh soon, in the background; errors are logged and the next request retries."""
        if self._closed or (self._refreshing is not None and not self._refreshing.done()):
            return
        task = asyncio.get_running_loop().create_task(self.refresh())
        task.add_done_callback(_log_failure)

    async def refresh(self) -> ClusterMetadata:
        """A fresh snapshot; concurrent callers share one request."""
        task = self._refreshing
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(self._fetch())
            self._refreshing = task
        return await asyncio.shield(task)

    async def _fetch(self) -> ClusterMetadata:
        # Pace back-to-back refreshes (a storm of NOT_LEADER answers asks for many).
        pause = self._last_refresh + self._config.retry_backoff_ms / 1000 - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        topics = [] if self._all_topics else sorted(self._topics)
        try:
            snapshot = await self.ask(topics)
        finally:
            self._last_refresh = time.monotonic()
        self.snapshot = snapshot
        for listener in self._listeners:
            listener(snapshot)
        return snapshot

    async def ask(self, topics: list[str]) -> ClusterMetadata:
        """One Metadata request (empty `topics`: every topic) to the first broker that
        answers; the result is returned, not kept (see `refresh`)."""
        request = broker_pb2.MetadataRequest(topics=topics)
        last_error: KanalError = BrokerNotAvailable("no broker answered")
        for endpoint in self._candidates():
            try:
                answer = await self._pool.broker(endpoint).Metadata(
                    request, timeout=self._config.request_timeout_ms / 1000,
                    metadata=self._pool.metadata,
                )
            except grpc.aio.AioRpcError as exc:
                last_error = error_from_rpc(exc)
                log.debug("metadata from %s failed: %s", endpoint, last_error)
                continue
            return _snapshot(answer)
        raise last_error

    def _candidates(self) -> list[HostPort]:
        known = list(self.snapshot.brokers.values())
        random.shuffle(known)
        bootstrap = [e for e in self._config.bootstrap_servers if e not in known]
        return known + bootstrap

    async def wait_for_topic(self, topic: str, timeout_s: float) -> tuple[int, ...]:
        """The partitions of `topic`, refreshing until it is known or `timeout_s` passes."""
        self.want_topics([topic])
        deadline = time.monotonic() + timeout_s
        last_error: KanalError | None = None
        while True:
            partitions = self.snapshot.partitions_for(topic)
            if partitions is not None:
                return partitions
            if time.monotonic() >= deadline:
                break
            try:
                snapshot = await asyncio.wait_for(
                    self.refresh(), max(0.001, deadline - time.monotonic())
                )
            except (KanalError, TimeoutError) as exc:
                if isinstance(exc, KanalError):
                    last_error = exc
                await asyncio.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
                continue
            info = snapshot.topics.get(topic)
            if info is not None and info.error_code:
                last_error = error_for_code(info.error_code, info.error_message or topic)
        if last_error is not None and last_error.code == UNKNOWN_TOPIC_OR_PARTITION:
            raise last_error
        raise KanalTimeoutError(
            f"no metadata for topic {topic!r} within {timeout_s:g}s"
            + (f" (last error: {last_error})" if last_error else "")
        )


def _log_failure(task: asyncio.Task[ClusterMetadata]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.debug("background metadata refresh failed: %s", task.exception())
