"""Helpers for the classic-group tests: members that keep rejoining in a background task,
describing a group, waiting for a condition."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

from kanal.client.classic_group import ClassicGroupMember, JoinResult
from kanal.client.config import parse_bootstrap
from kanal.client.group_link import GroupLink
from kanal.errors import KanalError
from kanal.v1 import group_pb2

SESSION_MS = 2_000
HEARTBEAT_MS = 200
REBALANCE_MS = 5_000


def classic_member(bootstrap: str, group_id: str, *,
                   session_timeout_ms: int = SESSION_MS) -> ClassicGroupMember:
    return ClassicGroupMember(bootstrap, group_id, "connect",
                              session_timeout_ms=session_timeout_ms,
                              rebalance_timeout_ms=REBALANCE_MS,
                              heartbeat_interval_ms=HEARTBEAT_MS)


class Participant:
    """A member that joins, syncs (assigning each member its own id when it leads) and
    rejoins whenever asked, recording every generation it was part of."""

    def __init__(self, member: ClassicGroupMember, metadata: bytes) -> None:
        self.member = member
        self.metadata = metadata
        self.rounds: list[tuple[JoinResult, bytes]] = []
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            joined = await self.member.join(self.metadata)
            plan = {m: m.encode() for m in joined.members} if joined.members else None
            try:
                assignment = await self.member.sync(plan)
            except KanalError:
                continue
            self.rounds.append((joined, assignment))
            await self.member.rebalance_needed.wait()

    @property
    def generation(self) -> int:
        return self.rounds[-1][0].generation if self.rounds else -1

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self.member.close()


async def describe(bootstrap: str, group_id: str) -> group_pb2.DescribedGroup:
    link = GroupLink(parse_bootstrap(bootstrap), group_id, timeout_s=60)
    try:
        answer = await link.call(
            lambda stub: stub.DescribeGroups(
                group_pb2.DescribeGroupsRequest(group_ids=[group_id]), timeout=10),
            lambda a: a.groups[0].error_code)
        return answer.groups[0]
    finally:
        await link.close()


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def stable_with(bootstrap: str, group_id: str, count: int) -> bool:
    group = await describe(bootstrap, group_id)
    return group.state == "Stable" and len(group.members) == count
