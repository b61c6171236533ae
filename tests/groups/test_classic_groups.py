"""The classic (JoinGroup/SyncGroup) protocol against real brokers, through
`kanal.client.classic_group`: a generation with one leader that sees every member's metadata,
assignments handed out by SyncGroup, a newcomer making everyone rejoin, a static member's
restart without a rebalance, a kill -9'd member removed after its session, members rejoining
a new coordinator after the old one's kill -9, and group ids that one protocol holds refused
to the other."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from kanal.client.classic_group import ClassicGroupMember, JoinResult
from kanal.client.config import parse_bootstrap
from kanal.client.group_link import GroupLink
from kanal.devcluster.pytest_plugin import DevClusterFactory
from kanal.errors import FencedInstanceId, InconsistentGroupProtocol
from kanal.v1 import group_pb2

from .classic_helpers import (
    Participant,
    classic_member,
    describe,
    eventually,
    stable_with,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fast_classic_groups")]

GROUP = "connect-cluster"


async def one_round(members: list[ClassicGroupMember], metadata: list[bytes]
                    ) -> list[tuple[JoinResult, bytes]]:
    joined = await asyncio.gather(*(m.join(md) for m, md in zip(members, metadata, strict=True)))
    plan = {member_id: b"tasks of " + member_id.encode()
            for r in joined for member_id in r.members}
    assigned = await asyncio.gather(*(m.sync(plan if r.members else None)
                                      for m, r in zip(members, joined, strict=True)))
    return list(zip(joined, assigned, strict=True))


async def test_a_generation_forms_and_a_newcomer_makes_everyone_rejoin(
        dev_cluster: DevClusterFactory) -> None:
    cluster = dev_cluster(brokers=1)
    await describe(cluster.bootstrap, GROUP)  # the coordinator is up: the joins come together
    members = [classic_member(cluster.bootstrap, GROUP) for _ in range(4)]
    try:
        first = await one_round(members[:3], [b"w0", b"w1", b"w2"])
        assert len({r.generation for r, _ in first}) == 1
        leaders = [r for r, _ in first if r.members]
        assert len(leaders) == 1 and leaders[0].member_id == leaders[0].leader_id
        assert sorted(leaders[0].members.values()) == [b"w0", b"w1", b"w2"]
        assert all(r.leader_id == leaders[0].member_id for r, _ in first)
        assert [a for _, a in first] == [b"tasks of " + r.member_id.encode() for r, _ in first]

        newcomer = asyncio.create_task(members[3].join(b"w3"))
        await asyncio.wait_for(asyncio.gather(*(m.rebalance_needed.wait()
                                                for m in members[:3])), 30)
        rejoined = await asyncio.gather(*(m.join(b"again") for m in members[:3]))
        late = await newcomer
        second = [*rejoined, late]
        assert {r.generation for r in second} == {first[0][0].generation + 1}
        assert {r.leader_id for r in second} == {leaders[0].member_id}  # the leader stays
        assert len(next(r for r in second if r.members).members) == 4
        assigned = await asyncio.gather(*(
            m.sync({x: x.encode() for x in r.members} if r.members else None)
            for m, r in zip(members, second, strict=True)))
        assert assigned == [r.member_id.encode() for r in second]

        group = await describe(cluster.bootstrap, GROUP)
        assert (group.state, group.group_type, group.protocol_type) == (
            "Stable", "classic", "connect")
        assert {m.member_id for m in group.members} == {r.member_id for r in second}
    finally:
        for member in members:
            await member.leave()
            await member.close()


async def test_a_restarted_static_member_keeps_its_place_without_a_rebalance(
        dev_cluster: DevClusterFactory) -> None:
    cluster = dev_cluster(brokers=1)
    await describe(cluster.bootstrap, GROUP)
    static = ClassicGroupMember(cluster.bootstrap, GROUP, "connect", session_timeout_ms=5_000,
                                heartbeat_interval_ms=200, group_instance_id="worker-a")
    other = classic_member(cluster.bootstrap, GROUP)
    restarted = ClassicGroupMember(cluster.bootstrap, GROUP, "connect",
                                   session_timeout_ms=5_000, heartbeat_interval_ms=200,
                                   group_instance_id="worker-a")
    try:
        (first, mine), (_, theirs) = await one_round([static, other], [b"a", b"b"])
        await static.close()  # a restart: no LeaveGroup, the session still runs
        again = await restarted.join(b"a")
        assert again.generation == first.generation and again.member_id != first.member_id
        stale = group_pb2.HeartbeatRequest(group_id=GROUP, generation_id=first.generation,
                                           member_id=first.member_id,
                                           group_instance_id="worker-a")
        link = GroupLink(parse_bootstrap(cluster.bootstrap), GROUP)
        try:
            fenced = await link.call(lambda s: s.Heartbeat(stale, timeout=10),
                                     lambda a: a.error_code)
        finally:
            await link.close()
        assert fenced.error_code == FencedInstanceId.code  # the predecessor's id is dead
        plan = {m: b"tasks of " + m.encode() for m in again.members} or None
        assert await restarted.sync(plan) == mine  # the stored assignment
        await asyncio.sleep(1)  # several heartbeats of the other member
        assert not other.rebalance_needed.is_set()
        group = await describe(cluster.bootstrap, GROUP)
        assert (group.state, group.group_epoch, len(group.members)) == (
            "Stable", first.generation, 2)
        assert theirs == b"tasks of " + other.member_id.encode()
    finally:
        for member in (restarted, other):
            await member.leave()
            await member.close()


async def test_a_killed_member_is_removed_after_its_session(
        dev_cluster: DevClusterFactory) -> None:
    cluster = dev_cluster(brokers=1)
    script = Path(__file__).with_name("classic_member.py")
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(script), cluster.bootstrap, GROUP, "2000",
        stdout=asyncio.subprocess.DEVNULL)
    local = Participant(classic_member(cluster.bootstrap, GROUP), b"local")
    try:
        await eventually(lambda: stable_with(cluster.bootstrap, GROUP, 2), 60, "two members")
        before = local.generation
        process.kill()
        await process.wait()
        await eventually(lambda: stable_with(cluster.bootstrap, GROUP, 1), 60,
                         "the killed member's removal")
        await eventually(lambda: asyncio.sleep(0, local.generation > before), 30,
                         "a new generation for the survivor")
        assert local.rounds[-1][0].members == {local.member.member_id: b"local"}
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await local.close()


async def test_members_rejoin_the_new_coordinator_after_a_kill_9(
        dev_cluster: DevClusterFactory) -> None:
    cluster = dev_cluster(brokers=3)
    participants = [Participant(classic_member(cluster.bootstrap, GROUP), b"p%d" % i)
                    for i in range(2)]
    try:
        await eventually(lambda: stable_with(cluster.bootstrap, GROUP, 2), 60, "two members")
        old_ids = {p.member.member_id for p in participants}
        link = GroupLink(parse_bootstrap(cluster.bootstrap), GROUP)
        try:
            port = (await link.find()).port
        finally:
            await link.close()
        cluster.kill(next(b.name for b in cluster.endpoints.brokers if b.port == port))

        async def rejoined() -> bool:
            group = await describe(cluster.bootstrap, GROUP)
            ids = {m.member_id for m in group.members}
            return group.state == "Stable" and len(ids) == 2 and not ids & old_ids
        await eventually(rejoined, 90, "both members on the new coordinator")
        assert {p.member.member_id for p in participants} == {
            m.member_id for m in (await describe(cluster.bootstrap, GROUP)).members}
    finally:
        for participant in participants:
            await participant.close()


async def test_a_group_id_serves_one_protocol_at_a_time(dev_cluster: DevClusterFactory) -> None:
    cluster = dev_cluster(brokers=1)
    link = GroupLink(parse_bootstrap(cluster.bootstrap), "kip848")
    classic = classic_member(cluster.bootstrap, GROUP)
    try:
        heartbeat = group_pb2.ConsumerGroupHeartbeatRequest(
            group_id="kip848", member_epoch=0, subscribed_topic_names=["none-yet"])
        answer = await link.call(lambda s: s.ConsumerGroupHeartbeat(heartbeat, timeout=10),
                                 lambda a: a.error_code)
        assert answer.error_code == 0, answer.error_message
        intruder = classic_member(cluster.bootstrap, "kip848")
        try:
            with pytest.raises(InconsistentGroupProtocol):
                await intruder.join(b"x")
        finally:
            await intruder.close()

        await one_round([classic], [b"c"])
        other = group_pb2.ConsumerGroupHeartbeatRequest(
            group_id=GROUP, member_epoch=0, subscribed_topic_names=["none-yet"])
        refused = await link.call(lambda s: s.ConsumerGroupHeartbeat(other, timeout=10),
                                  lambda a: a.error_code)
        assert refused.error_code == InconsistentGroupProtocol.code
    finally:
        await classic.leave()
        await classic.close()
        await link.close()
