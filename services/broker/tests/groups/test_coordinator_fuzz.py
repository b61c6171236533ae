"""Hypothesis-fuzzed ConsumerGroupHeartbeat and OffsetCommit requests over real gRPC: every
request that must be refused (unknown group or member, wrong epoch, negative offset, oversized
ids or metadata) gets an error code, and the group - members, epochs, committed offsets - is
exactly as before."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kanal.client.group_link import GroupLink
from kanal.devcluster.cluster import DevCluster
from kanal.devcluster.pytest_plugin import DevClusterFactory
from kanal.v1 import group_pb2
from kanal_broker.groups.membership import MAX_ID_CHARS

from .test_coordinator_service import commit, create_topic, fetch, join, link

pytestmark = pytest.mark.integration

GROUP = "fuzzed"
TOPIC = "events"
NO_SURROGATES = st.characters(exclude_categories=["Cs"])



@dataclass(frozen=True)
class Setup:
    cluster: DevCluster
    member_id: str
    member_epoch: int


@pytest.fixture
def stable_group(dev_cluster: DevClusterFactory) -> Iterator[Setup]:
    cluster = dev_cluster(brokers=1)

    async def prepare() -> Setup:
        await create_topic(cluster.bootstrap, TOPIC, 3, 1)
        group = link(cluster.bootstrap, GROUP)
        try:
            member = await join(group, [TOPIC])
            assert member.error_code == 0, member.error_message
            answer = await commit(group, member, TOPIC, {0: 4, 1: 8})
            assert answer.error_code == 0
            return Setup(cluster, member.member_id, member.member_epoch)
        finally:
            await group.close()

    yield asyncio.run(prepare())


async def snapshot(group: GroupLink) -> tuple[object, ...]:
    described = await group.call(
        lambda stub: stub.DescribeGroups(
            group_pb2.DescribeGroupsRequest(group_ids=[GROUP]), timeout=15),
        lambda answer: answer.groups[0].error_code)
    state = described.groups[0]
    members = sorted((m.member_id, m.member_epoch, m.SerializeToString(deterministic=True))
                     for m in state.members)
    return state.group_epoch, state.assignment_epoch, tuple(members), await fetch(group)


def heartbeats(setup: Setup) -> st.SearchStrategy[group_pb2.ConsumerGroupHeartbeatRequest]:
    ids = st.text(NO_SURROGATES, min_size=1, max_size=40).filter(lambda s: s != setup.member_id)
    unknown_group = st.builds(
        lambda g, e: group_pb2.ConsumerGroupHeartbeatRequest(
            group_id=g, member_id="m", member_epoch=e, subscribed_topic_names=[TOPIC]),
        st.text(NO_SURROGATES, min_size=1, max_size=60).filter(lambda g: g != GROUP),
        st.integers(1, 2**31 - 1) | st.just(-1))
    unknown_member = st.builds(
        lambda m, e: group_pb2.ConsumerGroupHeartbeatRequest(
            group_id=GROUP, member_id=m, member_epoch=e, subscribed_topic_names=[TOPIC]),
        ids, st.integers(1, 2**31 - 1) | st.just(-1))
    future_epoch = st.builds(
        lambda e: group_pb2.ConsumerGroupHeartbeatRequest(
            group_id=GROUP, member_id=setup.member_id, member_epoch=e,
            subscribed_topic_names=[TOPIC]),
        st.integers(setup.member_epoch + 1, 2**31 - 1) | st.integers(-2**31, -3))
    huge_ids = st.builds(
        lambda r, c: group_pb2.ConsumerGroupHeartbeatRequest(
            group_id=GROUP, member_id=setup.member_id, member_epoch=setup.member_epoch,
            subscribed_topic_names=[TOPIC], rack_id=r, client_id=c),
        st.text("ab", min_size=MAX_ID_CHARS + 1, max_size=MAX_ID_CHARS + 50),
        st.text("xy", max_size=5))
    return unknown_group | unknown_member | future_epoch | huge_ids


def commits(setup: Setup) -> st.SearchStrategy[group_pb2.OffsetCommitRequest]:
    def request(member_id: str, epoch: int, offset: int, metadata: str,
                partition: int) -> group_pb2.OffsetCommitRequest:
        return group_pb2.OffsetCommitRequest(
            group_id=GROUP, member_id=member_id, member_epoch=epoch,
            topics=[group_pb2.OffsetCommitTopic(topic=TOPIC, partitions=[
                group_pb2.OffsetCommitPartition(partition=partition, committed_offset=offset,
                                                committed_leader_epoch=-1,
                                                committed_metadata=metadata)])])

    real = st.just(setup.member_id)
    negative = st.builds(request, real, st.just(setup.member_epoch),
                         st.integers(-2**63, -1), st.just(""), st.integers(0, 2))
    huge_metadata = st.builds(request, real, st.just(setup.member_epoch),
                              st.integers(0, 2**62), st.text("mé", min_size=4097,
                                                             max_size=5000), st.integers(0, 2))
    wrong_epoch = st.builds(request, real, st.integers(-1, 2**31 - 1).filter(
        lambda e: e != setup.member_epoch), st.integers(0, 2**62), st.just(""),
        st.integers(0, 2))
    stranger = st.builds(request, st.text(NO_SURROGATES, min_size=1, max_size=30).filter(
        lambda m: m != setup.member_id), st.integers(-1, 100), st.integers(0, 100),
        st.just(""), st.integers(0, 2))
    return negative | huge_metadata | wrong_epoch | stranger


def refused_heartbeat(setup: Setup, request: group_pb2.ConsumerGroupHeartbeatRequest) -> None:
    async def check() -> None:
        group = link(setup.cluster.bootstrap, GROUP)
        try:
            before = await snapshot(group)
            answer = await group.call(
                lambda stub: stub.ConsumerGroupHeartbeat(request, timeout=15),
                lambda answer: answer.error_code)
            assert answer.error_code != 0, (request, answer)
            assert await snapshot(group) == before
        finally:
            await group.close()

    asyncio.run(check())


def refused_commit(setup: Setup, request: group_pb2.OffsetCommitRequest) -> None:
    async def check() -> None:
        group = link(setup.cluster.bootstrap, GROUP)
        try:
            before = await snapshot(group)
            answer = await group.call(lambda stub: stub.OffsetCommit(request, timeout=15),
                                      lambda answer: answer.error_code)
            codes = [p.error_code for t in answer.topics for p in t.partitions]
            assert codes and all(codes), (request, answer)
            assert await snapshot(group) == before
        finally:
            await group.close()

    asyncio.run(check())


FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def test_refused_heartbeats_change_nothing(stable_group: Setup) -> None:
    @FUZZ
    @given(heartbeats(stable_group))
    def run(request: group_pb2.ConsumerGroupHeartbeatRequest) -> None:
        refused_heartbeat(stable_group, request)

    run()


def test_refused_commits_change_nothing(stable_group: Setup) -> None:
    @FUZZ
    @given(commits(stable_group))
    def run(request: group_pb2.OffsetCommitRequest) -> None:
        refused_commit(stable_group, request)

    run()
