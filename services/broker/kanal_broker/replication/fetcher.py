"""Follower side: one task per leader broker, pulling every partition this broker follows
from it in one Fetch (replica_id = this broker's id), as Kafka's ReplicaFetcherThread does.

Per partition, in order: after each new leader or leader epoch, truncate the divergent tail
(see truncation.py), then fetch from the log end, over the ReplicaFetch stream when the
leader has it (fetch_session.py). The fetch offset tells the leader this
replica's log end, which is how it learns the ISR's progress. Answers append with the
batches' own offsets and epochs and bring the leader's high watermark.

An answer is applied only for the target it was asked for (`Partition.append_replicated`
checks identity), so a leader change during a long poll drops it. Adding or removing a
partition cancels the long poll in flight, so a new follower does not wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

import grpc
from kanal.errors import KanalError, NotLeaderForPartition, OffsetOutOfRange, error_for_code
from kanal.tracing.fetch import fetch_span
from kanal.types import TopicPartition
from kanal.v1 import broker_pb2, broker_pb2_grpc

from kanal_broker.metadata_cache import MetadataCache
from kanal_broker.partition import FollowTarget, Partition
from kanal_broker.replication.failures import RpcFailure, describe
from kanal_broker.replication.fetch_session import FetchSession
from kanal_broker.replication.throttle import ReplicationThrottle
from kanal_broker.replication.truncation import LocalLog, truncation_offset
from kanal_broker.settings import BrokerSettings

log = logging.getLogger(__name__)

T = TypeVar("T")
# Pause for one partition after a refusal the leader will soon get over (it has not yet seen
# its new epoch, say); failures of the whole leader wait replica_fetch_backoff_ms instead.
_RETRY_SOON_S = 0.1
# Allowance on top of the long poll for the fetch RPC's deadline.
_RPC_SLACK_S = 5.0


@dataclass(slots=True)
class Followed:
    partition: Partition
    target: FollowTarget
    truncated: bool = False
    not_before: float = 0.0


class SourceFetcher:
    def __init__(self, source: int, *, cache: MetadataCache, settings: BrokerSettings,
                 throttle: ReplicationThrottle) -> None:
        self.source = source
        self._throttle = throttle
        self._cache = cache
        self._settings = settings
        self.partitions: dict[TopicPartition, Followed] = {}
        self._changed = asyncio.Event()
        self._change_waiter: asyncio.Future[None] | None = None  # raced by a fetch in flight
        self._target = ""
        self._channel: grpc.aio.Channel | None = None
        self._stub: broker_pb2_grpc.BrokerAsyncStub | None = None
        self._session: FetchSession | None = None
        self._failing = False

    def add(self, partition: Partition, target: FollowTarget) -> None:
        self.partitions[partition.tp] = Followed(partition, target)
        self._note_change()

    def remove(self, tp: TopicPartition) -> None:
        if self.partitions.pop(tp, None) is not None:
            self._note_change()

    def _note_change(self) -> None:
        self._changed.set()
        if self._change_waiter is not None and not self._change_waiter.done():
            self._change_waiter.set_result(None)

    async def run(self) -> None:
        backoff_s = self._settings.replica_fetch_backoff_ms / 1000
        while True:
            try:
                await self._round()
            except RpcFailure as exc:
                # Warned once per outage (a dead leader fails every back-off until the
                # controller moves leadership), then quiet until it answers again.
                report = log.debug if self._failing else log.warning
                report("fetching from broker %d failed: %s", self.source, describe(exc))
                self._failing = True
                await self._pause(backoff_s)
                continue
            except Exception:
                # A storage error or a bug: keep replicating the other partitions.
                log.exception("replicating from broker %d failed", self.source)
                await self._pause(backoff_s)
                continue
            if self._failing:
                log.info("fetching from broker %d again", self.source)
                self._failing = False

    async def close(self) -> None:
        if self._session is not None:
            self._session.close()
        if self._channel is not None:
            await self._channel.close(None)
        self._channel = self._stub = self._session = None

    # ---- one round -------------------------------------------------------------------------

    async def _round(self) -> None:
        self._changed.clear()
        now = time.monotonic()
        ready = [f for f in self.partitions.values() if f.not_before <= now]
        if not ready:
            waits = [f.not_before - now for f in self.partitions.values()]
            await self._pause(min(waits) if waits else None)
            return
        stub = await self._connect()
        if stub is None:
            await self._pause(self._settings.replica_fetch_backoff_ms / 1000)
            return
        for followed in ready:
            if not followed.truncated:
                await self._truncate(stub, followed)
        fetchable = [f for f in ready if f.truncated and f.not_before <= time.monotonic()
                     and not self._throttled(f)]
        if fetchable and self._session is not None:
            await self._fetch(self._session, fetchable)

    def _throttled(self, followed: Followed) -> bool:
        """Whether the partition sits this round out for the reassignment throttle."""
        delay = self._throttle.delay_s(followed.partition.tp)
        if delay > 0:
            followed.not_before = time.monotonic() + delay
        return delay > 0

    async def _truncate(self, stub: broker_pb2_grpc.BrokerAsyncStub, followed: Followed) -> None:
        partition, target = followed.partition, followed.target

        async def ask_leader(epoch: int) -> tuple[int, int]:
            reply = await stub.OffsetForLeaderEpoch(broker_pb2.OffsetForLeaderEpochRequest(
                replica_id=self._settings.broker_id,
                topics=[broker_pb2.OffsetForLeaderEpochTopic(
                    topic=partition.tp.topic,
                    partitions=[broker_pb2.OffsetForLeaderEpochPartition(
                        partition=partition.tp.partition,
                        current_leader_epoch=target.leader_epoch, leader_epoch=epoch)])]),
                timeout=_RPC_SLACK_S)
            answer = reply.topics[0].partitions[0]
            if answer.error_code:
                raise error_for_code(answer.error_code, answer.error_message)
            return answer.leader_epoch, answer.end_offset

        try:
            local = LocalLog(partition.offsets.log_end_offset, partition.offsets.high_watermark,
                             await partition.latest_epoch(), partition.end_offset_for_epoch)
            offset = await truncation_offset(local, ask_leader)
            if offset < partition.offsets.log_end_offset:
                log.info("%s: truncating to %d for leader %d epoch %d (log end was %d)",
                         partition.tp, offset, target.leader, target.leader_epoch,
                         partition.offsets.log_end_offset)
                await partition.truncate_to(offset, target=target)
        except KanalError as exc:
            log.info("%s: truncation for leader %d epoch %d deferred: %s", partition.tp,
                     target.leader, target.leader_epoch, exc.message)
            followed.not_before = time.monotonic() + _RETRY_SOON_S
            return
        followed.truncated = True

    async def _fetch(self, session: FetchSession, fetchable: list[Followed]) -> None:
        settings = self._settings
        by_topic: dict[str, list[broker_pb2.FetchPartition]] = {}
        asked: dict[TopicPartition, tuple[Followed, int]] = {}
        for followed in fetchable:
            tp = followed.partition.tp
            offset = followed.partition.offsets.log_end_offset
            asked[tp] = (followed, offset)
            rate = self._throttle.rate(tp)
            by_topic.setdefault(tp.topic, []).append(broker_pb2.FetchPartition(
                partition=tp.partition, fetch_offset=offset,
                partition_max_bytes=min(settings.replica_fetch_max_bytes, rate or 1 << 62),
                current_leader_epoch=followed.target.leader_epoch))
        request = broker_pb2.FetchRequest(
            replica_id=settings.broker_id, max_wait_ms=settings.replica_fetch_wait_max_ms,
            min_bytes=1, max_bytes=settings.replica_fetch_response_max_bytes,
            topics=[broker_pb2.FetchTopic(topic=t, partitions=ps) for t, ps in by_topic.items()])
        started_ns = time.time_ns()
        reply = await self._unless_changed(session.fetch(
            request, timeout_s=settings.replica_fetch_wait_max_ms / 1000 + _RPC_SLACK_S))
        if reply is None:
            return
        # None unless tracing is on and records came; a round that raises is not exported.
        span = fetch_span("replica fetch", self.source, reply, started_ns)
        for topic in reply.topics:
            for answer in topic.partitions:
                entry = asked.get(TopicPartition(topic.topic, answer.partition))
                if entry is not None and self.partitions.get(entry[0].partition.tp) is entry[0]:
                    self._throttle.fetched(entry[0].partition.tp, len(answer.records))
                    await self._apply(entry[0], entry[1], answer)
        if span is not None:
            span.end()

    async def _apply(self, followed: Followed, fetch_offset: int,
                     answer: broker_pb2.FetchPartitionResponse) -> None:
        partition = followed.partition
        try:
            if answer.error_code:
                raise error_for_code(answer.error_code, answer.error_message)
            await partition.append_replicated(
                answer.records, leader_high_watermark=answer.high_watermark,
                target=followed.target)
        except OffsetOutOfRange:
            if 0 <= fetch_offset < answer.log_start_offset:
                log.info("%s: leader's log starts at %d, after this replica's end %d",
                         partition.tp, answer.log_start_offset, fetch_offset)
                await partition.start_at(answer.log_start_offset, target=followed.target)
            else:
                followed.truncated = False  # past the leader's end: find the common point
        except NotLeaderForPartition:
            pass  # no longer followed; the next round does not include it
        except KanalError as exc:
            log.debug("%s: fetch from %d refused: %s", partition.tp, self.source, exc.message)
            followed.not_before = time.monotonic() + _RETRY_SOON_S

    # ---- plumbing --------------------------------------------------------------------------

    async def _connect(self) -> broker_pb2_grpc.BrokerAsyncStub | None:
        """A stub for the source broker's registered address; None while unregistered."""
        registration = self._cache.brokers.get(self.source)
        if registration is None:
            return None
        target = f"{registration.host}:{registration.port}"
        if target != self._target or self._stub is None:
            await self.close()
            self._channel = grpc.aio.insecure_channel(target)
            self._stub = broker_pb2_grpc.BrokerStub(self._channel)
            self._session = FetchSession(self._stub, source=self.source)
            self._target = target
        return self._stub

    async def _pause(self, seconds: float | None) -> None:
        """Sleep, cut short when partitions were added or removed since the round began.
        The stream is closed first: no stream idles without a request (a stopping leader
        would wait out its grace period for it; see handlers/replica_fetch.py)."""
        if self._session is not None:
            self._session.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), seconds)

    async def _unless_changed(self, call: Awaitable[T]) -> T | None:
        """The call's result, or None if the followed partitions change first (the call is
        then cancelled). A plain future, not a task waiting on the event: this runs once per
        fetch round, and every task costs a few loop steps."""
        work = asyncio.ensure_future(call)
        changed = self._change_waiter = asyncio.get_running_loop().create_future()
        if self._changed.is_set():
            changed.set_result(None)
        try:
            await asyncio.wait({work, changed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._change_waiter = None
            finished = work.done()
            if not finished:
                work.cancel()
        return work.result() if finished else None

