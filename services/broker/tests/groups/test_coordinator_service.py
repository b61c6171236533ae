"""The GroupCoordinator service of real brokers: `__consumer_offsets` created on first use,
joins and commits persisted through the log, offsets surviving the coordinator's kill -9."""

from __future__ import annotations

import pytest
from kanal.client.aio_admin import AIOAdmin
from kanal.client.group_link import GroupLink
from kanal.client.records import NewTopic
from kanal.devcluster.pytest_plugin import DevClusterFactory
from kanal.types import HostPort
from kanal.v1 import group_pb2

pytestmark = pytest.mark.integration


async def create_topic(bootstrap: str, name: str, partitions: int, replication: int) -> None:
    admin = AIOAdmin(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, replication)])
    finally:
        await admin.close()


def link(bootstrap: str, group_id: str) -> GroupLink:
    return GroupLink([HostPort.parse(s) for s in bootstrap.split(",")], group_id,
                     timeout_s=45.0)


async def join(group: GroupLink, topics: list[str]) -> group_pb2.ConsumerGroupHeartbeatResponse:
    request = group_pb2.ConsumerGroupHeartbeatRequest(
        group_id=group.group_id, member_epoch=0, subscribed_topic_names=topics)
    return await group.call(lambda stub: stub.ConsumerGroupHeartbeat(request, timeout=15),
                            lambda answer: answer.error_code)


async def commit(group: GroupLink, member: group_pb2.ConsumerGroupHeartbeatResponse,
                 topic: str, offsets: dict[int, int]) -> group_pb2.OffsetCommitResponse:
    request = group_pb2.OffsetCommitRequest(
        group_id=group.group_id, member_id=member.member_id, member_epoch=member.member_epoch,
        topics=[group_pb2.OffsetCommitTopic(topic=topic, partitions=[
            group_pb2.OffsetCommitPartition(partition=p, committed_offset=o,
                                            committed_leader_epoch=-1)
            for p, o in offsets.items()])])
    return await group.call(lambda stub: stub.OffsetCommit(request, timeout=15),
                            lambda answer: answer.error_code)


async def fetch(group: GroupLink) -> dict[tuple[str, int], int]:
    request = group_pb2.OffsetFetchRequest(group_id=group.group_id)
    answer = await group.call(lambda stub: stub.OffsetFetch(request, timeout=15),
                              lambda answer: answer.error_code)
    assert answer.error_code == 0, answer.error_message
    return {(t.topic, p.partition): p.committed_offset
            for t in answer.topics for p in t.partitions}


async def test_join_commit_fetch_on_one_broker(dev_cluster: DevClusterFactory) -> None:
    cluster = dev_cluster(brokers=1)
    await create_topic(cluster.bootstrap, "orders", 6, 1)
    group = link(cluster.bootstrap, "billing")
    try:
        member = await join(group, ["orders"])
        assert member.error_code == 0, member.error_message
        assert member.member_epoch >= 1
        owned = {(t.topic, p) for t in member.assignment for p in t.partitions}
        assert owned == {("orders", p) for p in range(6)}
        answer = await commit(group, member, "orders", {0: 5, 3: 7})
        assert answer.error_code == 0
        assert all(p.error_code == 0 for t in answer.topics for p in t.partitions)
        assert await fetch(group) == {("orders", 0): 5, ("orders", 3): 7}

        described = await group.call(
            lambda stub: stub.DescribeGroups(
                group_pb2.DescribeGroupsRequest(group_ids=["billing"]), timeout=15),
            lambda answer: answer.groups[0].error_code)
        assert described.groups[0].state == "Stable"
        assert [m.member_id for m in described.groups[0].members] == [member.member_id]
    finally:
        await group.close()


async def test_commits_survive_kill_9_of_the_coordinator(dev_cluster: DevClusterFactory) -> None:
    cluster = dev_cluster(brokers=3)
    await create_topic(cluster.bootstrap, "orders", 6, 3)
    group = link(cluster.bootstrap, "ledger")
    try:
        member = await join(group, ["orders"])
        assert member.error_code == 0, member.error_message
        committed: dict[tuple[str, int], int] = {}
        for round_ in range(1, 6):
            offsets = {p: round_ * 10 + p for p in range(6)}
            answer = await commit(group, member, "orders", offsets)
            assert answer.error_code == 0, answer.error_message
            committed.update({("orders", p): o for p, o in offsets.items()})
        coordinator = await group.find()
        victim = next(s.name for s in cluster.endpoints.brokers
                      if s.port == coordinator.port and s.host == coordinator.host)
        cluster.kill(victim)

        # A new leader of the group's partition replays it: nothing lost, nothing rewound.
        assert await fetch(group) == committed
        assert await group.find() != coordinator
        # The member survives too (its session restarts on the new coordinator).
        heartbeat = group_pb2.ConsumerGroupHeartbeatRequest(
            group_id="ledger", member_id=member.member_id, member_epoch=member.member_epoch,
            subscribed_topic_names=["orders"], topic_partitions=member.assignment)
        again = await group.call(lambda stub: stub.ConsumerGroupHeartbeat(heartbeat, timeout=15),
                                 lambda answer: answer.error_code)
        assert again.error_code == 0, again.error_message
        assert again.member_epoch == member.member_epoch
        more = await commit(group, again, "orders", {0: 99})
        assert more.error_code == 0
        assert (await fetch(group))[("orders", 0)] == 99
    finally:
        await group.close()
