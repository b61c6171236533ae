"""Hypothesis-fuzzed JoinGroup, SyncGroup, Heartbeat and LeaveGroup requests against a real
broker holding a stable classic group: unknown groups and members, wrong generations, bad
session timeouts, foreign protocols and huge metadata get an error code, and the group -
state, generation, protocol, members - is exactly as before."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kanal.client.config import parse_bootstrap
from kanal.client.group_link import GroupLink
from kanal.devcluster.cluster import DevCluster
from kanal.devcluster.pytest_plugin import DevClusterFactory
from kanal.v1 import group_pb2
from kanal_broker.groups.classic.requests import MAX_METADATA_BYTES

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("fast_classic_groups")]

GROUP = "fuzzed-classic"
SESSION_MS = 120_000  # no heartbeats during the run: the members must outlive it
TEXT = st.characters(exclude_categories=["Cs"])
Send = Callable[[Any], Awaitable[Any]]


@dataclass(frozen=True)
class Setup:
    cluster: DevCluster
    members: tuple[str, ...]
    generation: int


def join_request(member_id: str = "", *, group_id: str = GROUP, session_ms: int = SESSION_MS,
                 protocol_type: str = "connect", name: str = "default",
                 metadata: bytes = b"md") -> group_pb2.JoinGroupRequest:
    return group_pb2.JoinGroupRequest(
        group_id=group_id, session_timeout_ms=session_ms, rebalance_timeout_ms=10_000,
        member_id=member_id, protocol_type=protocol_type,
        protocols=[group_pb2.JoinGroupProtocol(name=name, metadata=metadata)])


def top_level_code(answer: Any) -> int:
    return int(answer.error_code)


async def call(bootstrap: str, send: Send,
               error_code: Callable[[Any], int] = top_level_code) -> Any:
    link = GroupLink(parse_bootstrap(bootstrap), GROUP, timeout_s=60)
    try:
        return await link.call(send, error_code)
    finally:
        await link.close()


def sync_of(request: group_pb2.SyncGroupRequest) -> Send:
    return lambda stub: stub.SyncGroup(request, timeout=60)


def heartbeat_of(request: group_pb2.HeartbeatRequest) -> Send:
    return lambda stub: stub.Heartbeat(request, timeout=10)


@pytest.fixture
def stable_group(dev_cluster: DevClusterFactory) -> Iterator[Setup]:
    cluster = dev_cluster(brokers=1)

    async def prepare() -> Setup:
        await call(cluster.bootstrap, lambda s: s.DescribeGroups(  # the coordinator is up
            group_pb2.DescribeGroupsRequest(group_ids=[GROUP]), timeout=10),
            lambda a: int(a.groups[0].error_code))
        joined = await asyncio.gather(*(
            call(cluster.bootstrap, lambda s: s.JoinGroup(join_request(), timeout=60))
            for _ in range(2)))
        assert all(j.error_code == 0 for j in joined), joined
        leader = next(j for j in joined if j.members)
        plan = [group_pb2.SyncGroupAssignment(member_id=j.member_id, assignment=b"a")
                for j in joined]
        synced = await asyncio.gather(*(call(cluster.bootstrap, sync_of(
            group_pb2.SyncGroupRequest(
                group_id=GROUP, generation_id=j.generation_id, member_id=j.member_id,
                assignments=plan if j is leader else []))) for j in joined))
        assert all(s.error_code == 0 and s.assignment == b"a" for s in synced), synced
        return Setup(cluster, tuple(j.member_id for j in joined), leader.generation_id)

    yield asyncio.run(prepare())


async def snapshot(bootstrap: str) -> tuple[object, ...]:
    answer = await call(bootstrap, lambda s: s.DescribeGroups(
        group_pb2.DescribeGroupsRequest(group_ids=[GROUP]), timeout=10),
        lambda a: int(a.groups[0].error_code))
    group = answer.groups[0]
    return (group.state, group.group_epoch, group.assignor_name, group.protocol_type,
            tuple(sorted(m.SerializeToString(deterministic=True) for m in group.members)))


def refusals(setup: Setup) -> st.SearchStrategy[tuple[str, Any]]:
    member = st.sampled_from(setup.members)
    stranger = st.text(TEXT, min_size=1, max_size=40).filter(lambda m: m not in setup.members)
    other_group = st.text(TEXT, min_size=1, max_size=60).filter(lambda g: g != GROUP)
    wrong_generation = st.integers(-2**31, 2**31 - 1).filter(lambda g: g != setup.generation)
    joins = st.one_of(
        st.builds(join_request, stranger),
        st.builds(lambda g, m: join_request(m, group_id=g), other_group, stranger),
        st.builds(lambda s: join_request(session_ms=s),
                  st.integers(-2**31, 499) | st.integers(1_800_001, 2**31 - 1)),
        st.builds(lambda t: join_request(protocol_type=t),
                  st.text(TEXT, min_size=1, max_size=20).filter(lambda t: t != "connect")),
        st.builds(lambda n: join_request(name=n),
                  st.text(TEXT, min_size=1, max_size=20).filter(lambda n: n != "default")),
        st.builds(lambda extra: join_request(metadata=b"x" * (MAX_METADATA_BYTES + extra)),
                  st.integers(1, 1000)),
    ).map(lambda r: ("JoinGroup", r))
    syncs = st.one_of(
        st.builds(lambda m, g: group_pb2.SyncGroupRequest(
            group_id=GROUP, generation_id=g, member_id=m), member, wrong_generation),
        st.builds(lambda m: group_pb2.SyncGroupRequest(
            group_id=GROUP, generation_id=setup.generation, member_id=m), stranger),
        st.builds(lambda g, m: group_pb2.SyncGroupRequest(
            group_id=g, generation_id=setup.generation, member_id=m), other_group, member),
    ).map(lambda r: ("SyncGroup", r))
    heartbeats = st.one_of(
        st.builds(lambda m, g: group_pb2.HeartbeatRequest(
            group_id=GROUP, generation_id=g, member_id=m), member, wrong_generation),
        st.builds(lambda m: group_pb2.HeartbeatRequest(
            group_id=GROUP, generation_id=setup.generation, member_id=m), stranger),
    ).map(lambda r: ("Heartbeat", r))
    leaves = st.one_of(
        st.builds(lambda m: group_pb2.LeaveGroupRequest(group_id=GROUP, member_id=m), stranger),
        st.builds(lambda g, m: group_pb2.LeaveGroupRequest(group_id=g, member_id=m),
                  other_group, member),
    ).map(lambda r: ("LeaveGroup", r))
    return joins | syncs | heartbeats | leaves


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large, HealthCheck.too_slow])
@given(data=st.data())
def test_refused_classic_requests_change_nothing(stable_group: Setup, data: st.DataObject) -> None:
    method, request = data.draw(refusals(stable_group))
    bootstrap = stable_group.cluster.bootstrap

    async def check() -> None:
        before = await snapshot(bootstrap)
        answer = await call(bootstrap, lambda s: getattr(s, method)(request, timeout=30))
        assert answer.error_code != 0, (method, request, answer)
        assert await snapshot(bootstrap) == before

    asyncio.run(check())


def test_the_members_are_still_in_good_standing(stable_group: Setup) -> None:
    """The fixture's group answers a correct heartbeat: the refusals above are not vacuous."""
    async def check() -> None:
        for member_id in stable_group.members:
            request = group_pb2.HeartbeatRequest(
                group_id=GROUP, generation_id=stable_group.generation, member_id=member_id)
            answer = await call(stable_group.cluster.bootstrap, heartbeat_of(request))
            assert answer.error_code == 0, answer

    asyncio.run(check())
