"""The connect workers' sequence after a worker stops: the other member leaves, the one left
rejoins when its heartbeat says so, and then again and again of its own accord (a leader
asking for a rebalance, e.g. when a departed worker's scheduled delay runs out).

Each of these joins must be answered: a rejoin stops the member's heartbeats first, and a
heartbeat whose answer arrives just as it is stopped once swallowed that stop (Python 3.11's
`asyncio.wait_for`), leaving `join` waiting forever for a heartbeat task that went on and
kept the old session alive. Heartbeats every few milliseconds make that moment common."""

from __future__ import annotations

import asyncio
import random

import pytest
from kanal.client.classic_group import ClassicGroupMember, JoinResult
from kanal.devcluster.pytest_plugin import DevClusterFactory

from .classic_helpers import REBALANCE_MS, describe

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fast_classic_groups")]

GROUP = "connect-leave-rejoin"
ROUNDS = 2
VOLUNTARY_REJOINS = 100
HANG_S = 3 * REBALANCE_MS / 1000
"""Far beyond the rebalance timeout: a join still unanswered then is stuck, not slow."""


def busy_member(bootstrap: str) -> ClassicGroupMember:
    return ClassicGroupMember(bootstrap, GROUP, "connect", session_timeout_ms=2_000,
                              rebalance_timeout_ms=REBALANCE_MS, heartbeat_interval_ms=5)


async def joined(member: ClassicGroupMember, metadata: bytes) -> JoinResult:
    # Not asyncio.wait_for: a stuck join that swallows its cancellation would hang the test
    # instead of failing it.
    join = asyncio.ensure_future(member.join(metadata))
    done, _ = await asyncio.wait({join}, timeout=HANG_S)
    if not done:
        join.cancel()
        raise AssertionError(f"no JoinGroup answer within {HANG_S} s")
    return join.result()


async def synced(member: ClassicGroupMember, result: JoinResult) -> bytes:
    plan = {m: m.encode() for m in result.members} if result.members else None
    return await asyncio.wait_for(member.sync(plan), HANG_S)


async def test_the_survivor_of_a_leave_keeps_rejoining(dev_cluster: DevClusterFactory) -> None:
    cluster = dev_cluster(brokers=1)
    await describe(cluster.bootstrap, GROUP)  # the coordinator is up
    survivor = busy_member(cluster.bootstrap)
    pauses = random.Random(848)
    try:
        await synced(survivor, await joined(survivor, b"a"))
        for _ in range(ROUNDS):
            other = busy_member(cluster.bootstrap)
            try:
                newcomer = asyncio.create_task(joined(other, b"b"))
                await asyncio.wait_for(survivor.rebalance_needed.wait(), HANG_S)
                both = await joined(survivor, b"a")
                theirs = await newcomer
                assert both.generation == theirs.generation
                assert len(both.members or theirs.members) == 2
                await asyncio.gather(synced(survivor, both), synced(other, theirs))
                await other.leave()
            finally:
                await other.close()
            await asyncio.wait_for(survivor.rebalance_needed.wait(), HANG_S)
            alone = await joined(survivor, b"a")
            assert alone.members == {survivor.member_id: b"a"}
            await synced(survivor, alone)
            for _ in range(VOLUNTARY_REJOINS):
                await asyncio.sleep(pauses.uniform(0, 0.01))  # heartbeats go on meanwhile
                again = await joined(survivor, b"a")
                assert again.members == {survivor.member_id: b"a"}
                await synced(survivor, again)
    finally:
        await survivor.leave()
        await survivor.close()
