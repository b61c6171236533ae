"""One partition hosted by this broker: its log, who may use it, and its replication role.

Every log call goes through `LogAccess` (log_access.py): serialised, in the executor, with
offsets published and long polls woken.

Replication roles: while leading, `leader_view` tracks the followers and the high watermark
is the smallest log end over the ISR (`advance_high_watermark`, never down); while following,
`follow_target` names the leader and epoch the fetcher appends for, and an answer meant for
an older target is dropped (`append_replicated`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from kanal.errors import NotLeaderForPartition
from kanal.meta.documents import PartitionState
from kanal.topic_config import TopicConfig
from kanal.types import TopicPartition

from kanal_broker.log import AppendInfo, Log, ReadResult
from kanal_broker.log_access import LogAccess, LogOffsets
from kanal_broker.metrics import BrokerMetrics
from kanal_broker.replication.leader_view import LeaderView
from kanal_broker.replication.recent_appends import Chunk, RecentAppends
from kanal_broker.replication.truncation import epoch_end_on_leader, replicated_part

T = TypeVar("T")

# Appends up to this size run on the event loop (LogAccess's `inline`): a page-cache write of
# 256 KiB takes well under a millisecond, and the log's Python code holds the GIL for the
# same time wherever it runs. Larger ones go to the executor, where the write itself lets
# the loop go on serving.
INLINE_APPEND_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class FollowTarget:
    """The leader (and its epoch) a follower replicates from; compared by identity."""

    leader: int
    leader_epoch: int


class Partition:
    def __init__(self, tp: TopicPartition, *, topic_id: str, log: Log, config: TopicConfig,
                 executor: concurrent.futures.Executor, metrics: BrokerMetrics,
                 holds_lease: Callable[[], bool]) -> None:
        self.tp = tp
        self.topic_id = topic_id
        self.config = config
        self._metrics = metrics
        self._holds_lease = holds_lease
        self._access = LogAccess(log, name=f"{tp.topic}-{tp.partition}", executor=executor,
                                 on_offsets=self._observe)
        self.state: PartitionState | None = None
        self._leader_epoch: int | None = None
        self._fenced = False
        self.leader_view: LeaderView | None = None
        self._recent = RecentAppends()
        self.follow_target: FollowTarget | None = None
        # The highest watermark ever chosen, possibly not yet applied: followers join the
        # ISR only once they reach it (see LeaderView), so a watermark being applied never
        # outruns a member that joined meanwhile.
        self.high_watermark_target = self.offsets.high_watermark

    @property
    def offsets(self) -> LogOffsets:
        return self._access.offsets

    # ---- leadership ------------------------------------------------------------------------

    def leader_epoch(self) -> int | None:
        """The epoch this broker leads the partition in, or None when it must not lead."""
        if self._leader_epoch is None or self._access.closed or not self._holds_lease():
            return None
        return self._leader_epoch

    def apply_state(self, state: PartitionState | None, *, mod_revision: int, broker_id: int,
                    registration_revision: int, replicas: Sequence[int], now_ms: int) -> None:
        """Follow the partition state in etcd. After a lease loss (`fence`) only a state
        written after this broker registered again can make it leader again. A state older
        than one the controller already answered with (same leader epoch, lower partition
        epoch: the watch lags) is ignored."""
        current = self.state
        if (state is not None and current is not None
                and state.leader_epoch == current.leader_epoch
                and state.partition_epoch < current.partition_epoch):
            return
        self.state = state
        if state is None or state.leader != broker_id:
            self._set_leader_epoch(None, replicas, now_ms)
            return
        if self._fenced:
            if registration_revision == 0 or mod_revision <= registration_revision:
                self._set_leader_epoch(None, replicas, now_ms)
                return
            self._fenced = False
        self._set_leader_epoch(state.leader_epoch, replicas, now_ms)

    def _set_leader_epoch(self, epoch: int | None, replicas: Sequence[int],
                          now_ms: int) -> None:
        self._leader_epoch = epoch
        state = self.state
        if epoch is None or state is None:
            self.leader_view = None
            self._recent.clear()
            return
        view = self.leader_view
        if view is None or view.leader_epoch != epoch:
            self._recent.clear()
            self.high_watermark_target = self.offsets.high_watermark
            self.leader_view = LeaderView.start(
                leader=state.leader, leader_epoch=epoch, replicas=tuple(replicas),
                isr=tuple(state.isr), partition_epoch=state.partition_epoch,
                log_end_offset=self.offsets.log_end_offset, now_ms=now_ms)
        else:
            if view.replicas != tuple(replicas):
                view.replicas_changed(tuple(replicas), now_ms)
            view.committed(isr=tuple(state.isr), partition_epoch=state.partition_epoch)

    def isr_committed(self, state: PartitionState) -> None:
        """The controller accepted an ISR change: use it before the etcd watch brings it."""
        view = self.leader_view
        if view is None or view.leader_epoch != state.leader_epoch:
            return
        view.committed(isr=tuple(state.isr), partition_epoch=state.partition_epoch)
        if self.state is not None and state.partition_epoch >= self.state.partition_epoch:
            self.state = state

    def fence(self) -> None:
        """The lease is gone: stop leading until etcd names this broker leader again."""
        self._fenced = True
        self._leader_epoch = None
        self.leader_view = None
        self._recent.clear()

    # ---- log operations ------------------------------------------------------------------

    async def append(self, batches: bytes) -> AppendInfo:
        epoch = -1

        def prepare() -> Callable[[Log], tuple[AppendInfo, Chunk | None]]:
            # Decided on the loop, under the lock: leadership can change while we queue.
            nonlocal epoch
            current = self.leader_epoch()
            if current is None:
                raise NotLeaderForPartition(f"this broker does not lead {self.tp}")
            epoch = current
            followed = self.leader_view is not None and len(self.leader_view.replicas) > 1

            def append(log: Log) -> tuple[AppendInfo, Chunk | None]:
                info = log.append_as_leader(batches, leader_epoch=current)
                if not info.bytes or not followed:
                    return info, None  # a duplicate, or no follower to serve
                # Read back at once: the batches as stored (final offsets), for followers.
                stored = log.read(info.first_offset, info.bytes).records
                return info, Chunk(info.first_offset, info.last_offset + 1, stored)

            return append

        info, chunk = await self._access.run_prepared(
            prepare, inline=len(batches) <= INLINE_APPEND_BYTES)
        if chunk is not None and self.leader_epoch() == epoch:
            self._recent.add(chunk)
        await self.advance_high_watermark()  # an ISR of the leader alone commits at once
        return info

    async def advance_high_watermark(self) -> None:
        """Raise the watermark to what the ISR holds, if that is higher (leader only). Set
        without queuing behind the log's operations (see LogAccess.raise_high_watermark)."""
        view = self.leader_view
        if view is None or not self._may_advance():
            return
        target = view.high_watermark(self.offsets.log_end_offset)
        self.high_watermark_target = max(self.high_watermark_target, target)
        self._access.raise_high_watermark(target)

    def _may_advance(self) -> bool:
        view = self.leader_view
        return (view is not None and self.leader_epoch() is not None
                and view.high_watermark(self.offsets.log_end_offset)
                > self.offsets.high_watermark)

    def follower_fetched(self, follower: int, fetch_offset: int, now_ms: int) -> None:
        if self.leader_view is not None:
            self.leader_view.follower_fetched(follower, fetch_offset,
                                              self.offsets.log_end_offset, now_ms)

    # ---- follower operations ---------------------------------------------------------------

    async def append_replicated(self, batches: bytes, *, leader_high_watermark: int,
                                target: FollowTarget) -> LogOffsets:
        """Append the leader's batches as they are (offsets, epochs), then take the leader's
        watermark as far as this log reaches. Refused once `target` is no longer followed."""
        def append(log: Log) -> None:
            data = replicated_part(batches, log.log_end_offset)
            if data:
                log.append_as_follower(data)
            reachable = min(leader_high_watermark, log.log_end_offset)
            log.high_watermark = max(log.high_watermark, reachable)

        await self._access.run_prepared(lambda: self._as_follower(target, append),
                                        inline=len(batches) <= INLINE_APPEND_BYTES)
        return self.offsets

    async def truncate_to(self, offset: int, *, target: FollowTarget) -> None:
        """Drop everything from `offset` on, while still following `target` (a leader's
        log is never truncated)."""
        await self._access.run_prepared(
            lambda: self._as_follower(target, lambda log: log.truncate_to(offset)),
            )

    async def start_at(self, offset: int, *, target: FollowTarget) -> None:
        """Drop the whole log and continue at `offset` (the leader's log start is above
        everything this replica holds)."""
        await self._access.run_prepared(
            lambda: self._as_follower(
                target, lambda log: log.truncate_fully_and_start_at(offset)),
            )

    def _as_follower(self, target: FollowTarget,
                     operation: Callable[[Log], T]) -> Callable[[Log], T]:
        if self.follow_target is not target or self._leader_epoch is not None:
            raise NotLeaderForPartition(f"{self.tp} no longer follows {target}")
        return operation

    async def latest_epoch(self) -> int:
        return await self._access.run(lambda log: int(log.latest_epoch))

    async def end_offset_for_epoch(self, epoch: int) -> tuple[int, int]:
        """Kafka's answer to OffsetForLeaderEpoch: the largest epoch <= `epoch` this log
        holds and the offset where it ended; (-1, -1) when there is none. An epoch newer
        than the log's latest ended at the log end: nothing was written in between."""
        return await self._access.run(lambda log: epoch_end_on_leader(
            epoch, latest_epoch=log.latest_epoch, log_end_offset=log.log_end_offset,
            lookup=log.end_offset_for_epoch))

    async def read_for_follower(self, offset: int, max_bytes: int, *,
                                min_one_batch: bool) -> bytes:
        """What a follower fetch at `offset` gets (up to the log end), from the latest
        appends when they hold it exactly (see RecentAppends), else from the log."""
        offsets = self.offsets
        recent = self._recent.read(offset, max_bytes, log_end_offset=offsets.log_end_offset,
                                   high_watermark=offsets.high_watermark)
        if recent is not None:
            return recent
        read = await self.read(offset, max_bytes, max_offset=None, min_one_batch=min_one_batch)
        return read.records

    async def read(self, offset: int, max_bytes: int, *, max_offset: int | None,
                   min_one_batch: bool) -> ReadResult:
        return await self._access.run(lambda log: log.read(
            offset, max_bytes, max_offset=max_offset, min_one_batch=min_one_batch))

    async def offset_for_timestamp(self, timestamp: int) -> tuple[int, int] | None:
        return await self._access.run(lambda log: log.offset_for_timestamp(timestamp))

    async def max_timestamp(self) -> tuple[int, int] | None:
        return await self._access.run(lambda log: log.offset_of_max_timestamp())

    async def maintain(self, cleaner_max_keys: int) -> None:
        """Retention, then rolling, then (for compacted topics) cleaning."""
        def maintain(log: Log) -> None:
            log.apply_retention()
            log.maybe_roll()
            if self.config.compact:
                log.compact(cleaner_max_keys)

        await self._access.run(maintain)

    async def flush(self) -> None:
        await self._access.run(lambda log: log.flush())

    async def update_config(self, config: TopicConfig) -> None:
        if config != self.config:
            await self._access.run(lambda log: log.update_config(config))
            self.config = config

    async def close(self, *, delete: bool) -> None:
        """Close the log (clean-shutdown marker), or delete its directory. Idempotent."""
        def close(log: Log) -> None:
            if delete:
                log.delete()
            else:
                log.close()

        if not self._access.closed:
            await self._access.run(close, closing=True)
            self._metrics.forget_partition(self.tp)

    def _observe(self, offsets: LogOffsets) -> None:
        self._metrics.observe_partition(
            self.tp, log_start_offset=offsets.log_start_offset,
            log_end_offset=offsets.log_end_offset, size_bytes=offsets.size_bytes)

    # ---- waiting for data ----------------------------------------------------------------

    async def wait_committed(self, offset: int, *, timeout_s: float) -> bool:
        """Whether the high watermark passed `offset` within the timeout: what acks=all
        waits for."""
        return await self._access.wait_committed(offset, timeout_s=timeout_s)

    def add_waiter(self, waiter: asyncio.Future[None], *, log_end: bool = False) -> None:
        self._access.add_waiter(waiter, log_end=log_end)

    def remove_waiter(self, waiter: asyncio.Future[None]) -> None:
        self._access.remove_waiter(waiter)

    def wake_waiters(self) -> None:
        self._access.wake_waiters()
