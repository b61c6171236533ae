"""A consumer's membership of its group (KIP-848): a background task heartbeats the full
subscription and the owned partitions, and moves the consumer to the assignment each answer
carries.

Order that keeps a partition from being consumed twice: a revoked partition is frozen first
(its position read, in-flight fetches and drains discarded, in one step under the buffer's
lock), its position committed (auto-commit), the listener told, the partition dropped - and
only then does the next heartbeat, sent at once, report it as no longer owned, which is what
lets the coordinator give it to someone else. A newly assigned partition starts at its
committed offset, else at auto_offset_reset.

On FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID or GROUP_ID_NOT_FOUND, or when the coordinator
cannot be reached for session_timeout_ms, every partition is dropped without a commit
(`on_partitions_lost`) and the member rejoins with epoch 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Protocol

from kanal.client.group_link import GroupLink
from kanal.client.group_offsets import commit_offsets, fetch_committed
from kanal.client.group_types import (
    ConsumerRebalanceListener,
    GroupOptions,
    OffsetAndMetadata,
    notify,
)
from kanal.errors import (
    FencedMemberEpoch,
    GroupIdNotFound,
    KanalError,
    UnknownMemberId,
    error_for_code,
)
from kanal.types import TopicPartition
from kanal.v1 import group_pb2

log = logging.getLogger(__name__)

REJOIN_CODES = frozenset({FencedMemberEpoch.code, UnknownMemberId.code, GroupIdNotFound.code})
JOIN_EPOCH, LEAVE_EPOCH, STATIC_LEAVE_EPOCH = 0, -1, -2
RETRY_S = 0.5
SETTLE_TIMEOUT_S = 15.0
"""How long leaving waits for the answer to a heartbeat that the stop cut short."""


class AssignmentHost(Protocol):
    """What the membership needs from the consumer it drives (see ConsumerCore)."""

    def apply_group_assignment(self, tps: set[TopicPartition],
                               starts: Mapping[TopicPartition, int]) -> None: ...

    def freeze(self, tps: set[TopicPartition]) -> dict[TopicPartition, int]: ...

    def consumed_positions(self) -> dict[TopicPartition, int]: ...


class GroupMembership:
    def __init__(self, link: GroupLink, options: GroupOptions, host: AssignmentHost, *,
                 client_id: str) -> None:
        self._link = link
        self.options = options
        self._host = host
        self._client_id = client_id
        self.member_id = ""
        self.member_epoch = JOIN_EPOCH
        self.owned: set[TopicPartition] = set()
        self._topics: tuple[str, ...] = ()
        self._pattern: str | None = None
        self.listener: ConsumerRebalanceListener | None = None
        self._wake = asyncio.Event()
        self._interval_s = 5.0
        self._tasks: list[asyncio.Task[None]] = []
        self._in_flight: asyncio.Future[group_pb2.ConsumerGroupHeartbeatResponse] | None = None
        """The last heartbeat sent; it outlives a cancelled heartbeat task (see `_settle`)."""
        self._last_committed: dict[TopicPartition, int] = {}

    @property
    def subscribed(self) -> bool:
        return bool(self._topics) or self._pattern is not None

    def subscribe(self, topics: tuple[str, ...], pattern: str | None,
                  listener: ConsumerRebalanceListener | None) -> None:
        self._topics, self._pattern, self.listener = topics, pattern, listener
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._heartbeat_forever(), name="group-heartbeat")]
            if self.options.enable_auto_commit:
                self._tasks.append(asyncio.create_task(self._auto_commit_forever(),
                                                       name="group-auto-commit"))
            for task in self._tasks:
                task.add_done_callback(_report_crash)
        self._wake.set()

    async def unsubscribe(self) -> None:
        """Leave the group (committing first with auto-commit); subscribe() rejoins."""
        await self._stop_tasks()
        await self._leave()
        self._topics, self._pattern = (), None

    # ---- heartbeats ---------------------------------------------------------------------

    async def _heartbeat_forever(self) -> None:
        unreachable_since: float | None = None
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            try:
                answer = await self._heartbeat(self.member_epoch)
                unreachable_since = None
            except KanalError as exc:
                now = loop.time()
                unreachable_since = unreachable_since or now
                log.warning("group %s: heartbeat failed: %s", self.options.group_id, exc)
                if now - unreachable_since >= self.options.session_timeout_ms / 1000:
                    await self._lose_all()
                await asyncio.sleep(RETRY_S)
                continue
            if answer.error_code in REJOIN_CODES:
                log.info("group %s: %s; rejoining", self.options.group_id,
                         error_for_code(answer.error_code, answer.error_message))
                await self._lose_all()
                continue
            if answer.error_code:
                log.warning("group %s: heartbeat refused: %s", self.options.group_id,
                            error_for_code(answer.error_code, answer.error_message))
                await asyncio.sleep(RETRY_S)
                continue
            try:
                released = await self._reconcile(answer)
            except KanalError as exc:  # the next answer repeats the target: tried again
                log.warning("group %s: moving to the new assignment failed: %s",
                            self.options.group_id, exc)
                await asyncio.sleep(RETRY_S)
                continue
            if released:
                continue  # say at once that they are released
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # that comes as the wake-up does, and close() would wait for this loop forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval_s):
                    await self._wake.wait()

    async def _reconcile(self, answer: group_pb2.ConsumerGroupHeartbeatResponse) -> bool:
        """Move to the answer's assignment; whether partitions were released."""
        self.member_id, self.member_epoch = answer.member_id, answer.member_epoch
        if answer.heartbeat_interval_ms > 0:
            self._interval_s = answer.heartbeat_interval_ms / 1000
        target = {TopicPartition(t.topic, p) for t in answer.assignment for p in t.partitions}
        revoked = self.owned - target
        if revoked:
            await self._revoke(revoked)
        if target - self.owned:
            await self._assign(target - self.owned)
        return bool(revoked)

    async def _heartbeat(self, epoch: int) -> group_pb2.ConsumerGroupHeartbeatResponse:
        o = self.options
        request = group_pb2.ConsumerGroupHeartbeatRequest(
            group_id=o.group_id, member_id=self.member_id, member_epoch=epoch,
            instance_id=o.instance_id, rebalance_timeout_ms=o.rebalance_timeout_ms,
            subscribed_topic_names=list(self._topics), subscribed_topic_regex=self._pattern,
            server_assignor=o.remote_assignor, client_id=self._client_id,
            topic_partitions=[group_pb2.TopicPartitions(topic=t, partitions=ps)
                              for t, ps in _by_topic(self.owned).items()])
        call = self._in_flight = asyncio.ensure_future(self._link.call(
            lambda stub: stub.ConsumerGroupHeartbeat(request, timeout=15),
            lambda answer: answer.error_code))
        return await asyncio.shield(call)

    # ---- moving between assignments -----------------------------------------------------

    async def _revoke(self, revoked: set[TopicPartition], *, commit: bool = True) -> None:
        positions = self._host.freeze(revoked)
        if commit and self.options.enable_auto_commit:
            try:
                await self._commit_positions(positions)
            except KanalError as exc:
                log.warning("group %s: commit before revocation failed: %s",
                            self.options.group_id, exc)
        await self._notify("on_partitions_revoked", revoked)
        self.owned -= revoked
        self._host.apply_group_assignment(set(self.owned), {})

    async def _assign(self, added: set[TopicPartition]) -> None:
        committed = await fetch_committed(self._link, added)
        starts = {tp: c.offset for tp, c in committed.items() if c is not None}
        self.owned |= added
        self._host.apply_group_assignment(set(self.owned), starts)
        self._last_committed.update(starts)
        await self._notify("on_partitions_assigned", added)

    async def _lose_all(self) -> None:
        lost = set(self.owned)
        self.owned.clear()
        self._host.apply_group_assignment(set(), {})
        self.member_id, self.member_epoch = "", JOIN_EPOCH
        if lost:
            await self._notify("on_partitions_lost", lost)

    async def _notify(self, event: str, partitions: set[TopicPartition]) -> None:
        try:
            await notify(self.listener, event, partitions)
        except Exception:
            log.exception("the rebalance listener's %s failed", event)

    # ---- commits ------------------------------------------------------------------------

    async def commit(self, offsets: Mapping[TopicPartition, OffsetAndMetadata] | None) -> None:
        """Commit `offsets`, or the consumed position of every owned partition."""
        if offsets is None:
            await self._commit_positions(self._host.consumed_positions())
        else:
            await commit_offsets(self._link, offsets, member_id=self.member_id,
                                 member_epoch=self.member_epoch)

    async def _commit_positions(self, positions: Mapping[TopicPartition, int]) -> None:
        changed = {tp: OffsetAndMetadata(p) for tp, p in positions.items()
                   if self._last_committed.get(tp) != p}
        if not changed or self.member_epoch <= 0:
            return
        await commit_offsets(self._link, changed, member_id=self.member_id,
                             member_epoch=self.member_epoch)
        self._last_committed.update({tp: o.offset for tp, o in changed.items()})

    async def committed(self, tps: list[TopicPartition]
                        ) -> dict[TopicPartition, OffsetAndMetadata | None]:
        return await fetch_committed(self._link, tps)

    async def _auto_commit_forever(self) -> None:
        while True:
            await asyncio.sleep(self.options.auto_commit_interval_ms / 1000)
            try:
                await self._commit_positions(self._host.consumed_positions())
            except KanalError as exc:
                log.warning("group %s: auto-commit failed: %s", self.options.group_id, exc)

    # ---- leaving ------------------------------------------------------------------------

    async def close(self, *, commit: bool = True) -> None:
        """Stop heartbeating, commit (auto-commit), release everything, leave the group."""
        await self._stop_tasks()
        await self._leave(commit=commit)
        await self._link.close()

    async def _leave(self, *, commit: bool = True) -> None:
        await self._settle()
        if self.owned:
            await self._revoke(set(self.owned), commit=commit)
        if self.member_id and self.member_epoch > 0:
            epoch = STATIC_LEAVE_EPOCH if self.options.instance_id else LEAVE_EPOCH
            try:
                await self._heartbeat(epoch)
            except KanalError as exc:
                log.warning("group %s: leaving failed: %s", self.options.group_id, exc)
        self.member_id, self.member_epoch = "", JOIN_EPOCH

    async def _settle(self) -> None:
        """Adopt the answer to the heartbeat a stop cut short. A join the coordinator had
        already answered made this consumer a member, maybe with partitions: without its
        member id the leave would not be sent, and the partitions would stay with a member
        nobody runs until its session times out."""
        call, self._in_flight = self._in_flight, None
        if call is None:
            return
        try:
            async with asyncio.timeout(SETTLE_TIMEOUT_S):
                answer = await call
        except (KanalError, TimeoutError):
            return  # no answer: the coordinator made nothing of it, or the session ends it
        if not answer.error_code and answer.member_id and answer.member_epoch > 0:
            self.member_id, self.member_epoch = answer.member_id, answer.member_epoch

    async def _stop_tasks(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        if tasks:  # asyncio.wait: our caller's own cancellation is not swallowed
            await asyncio.wait(tasks)


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("consumer group task %s died", task.get_name(), exc_info=task.exception())


def _by_topic(tps: set[TopicPartition]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for tp in sorted(tps):
        grouped.setdefault(tp.topic, []).append(tp.partition)
    return grouped
