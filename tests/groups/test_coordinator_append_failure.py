"""An append the coordinator cannot get acknowledged is never a success: with the only
follower of the group's `__consumer_offsets` partition paused (SIGSTOP), a commit cannot
reach the in-sync replicas, so the coordinator answers an error, drops the partition's state
and reloads it from the log; once the follower resumes the group works on with the state the
log holds (the member keeps its epoch, commits go through again)."""

from __future__ import annotations

import signal

import grpc
import pytest
from kanal import Admin, NewTopic
from kanal.client.config import parse_bootstrap
from kanal.client.group_link import GroupLink
from kanal.devcluster.cluster import DevCluster
from kanal.devcluster.pytest_plugin import DevClusterFactory
from kanal.types import HostPort
from kanal.v1 import broker_pb2, broker_pb2_grpc, group_pb2, group_pb2_grpc

from .classic_helpers import eventually

pytestmark = pytest.mark.integration

TOPIC = "ledger"
GROUP = "auditors"
OFFSETS_TOPIC = "__consumer_offsets"


def commit_request(member: group_pb2.ConsumerGroupHeartbeatResponse,
                   offset: int) -> group_pb2.OffsetCommitRequest:
    return group_pb2.OffsetCommitRequest(
        group_id=GROUP, member_id=member.member_id, member_epoch=member.member_epoch,
        topics=[group_pb2.OffsetCommitTopic(topic=TOPIC, partitions=[
            group_pb2.OffsetCommitPartition(partition=0, committed_offset=offset,
                                            committed_leader_epoch=-1)])])


async def committed(link: GroupLink) -> int:
    request = group_pb2.OffsetFetchRequest(group_id=GROUP)
    answer = await link.call(lambda s: s.OffsetFetch(request, timeout=10), lambda a: a.error_code)
    return {p.partition: p.committed_offset for t in answer.topics for p in t.partitions}[0]


async def offsets_replicas(coordinator: HostPort, partition: int) -> list[int]:
    async with grpc.aio.insecure_channel(str(coordinator)) as channel:
        answer = await broker_pb2_grpc.BrokerStub(channel).Metadata(
            broker_pb2.MetadataRequest(topics=[OFFSETS_TOPIC]), timeout=10)
    return list(answer.topics[0].partitions[partition].isr)


def loads_logged(cluster: DevCluster, broker: str, partition: int) -> int:
    text = cluster.log_path(broker).read_text(errors="replace")
    return text.count(f"records of {OFFSETS_TOPIC}-{partition} ")


async def test_an_unacknowledged_commit_answers_an_error_and_reloads(
        dev_cluster: DevClusterFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # The paused follower must stay in the ISR (and registered) for the whole test.
    monkeypatch.setenv("KANAL_BROKER_REPLICA_LAG_TIME_MAX_MS", "120000")
    cluster = dev_cluster(brokers=2, session_timeout_ms=60_000)
    with Admin(bootstrap_servers=cluster.bootstrap) as admin:
        admin.create_topics([NewTopic(TOPIC, 1, 1)])
    link = GroupLink(parse_bootstrap(cluster.bootstrap), GROUP, timeout_s=60)
    paused: str | None = None
    try:
        join = group_pb2.ConsumerGroupHeartbeatRequest(
            group_id=GROUP, member_epoch=0, subscribed_topic_names=[TOPIC])
        member = await link.call(lambda s: s.ConsumerGroupHeartbeat(join, timeout=10),
                                 lambda a: a.error_code)
        assert member.error_code == 0, member.error_message
        first = await link.call(lambda s: s.OffsetCommit(commit_request(member, 5), timeout=15),
                                lambda a: a.error_code)
        assert first.error_code == 0, first.error_message

        coordinator = await link.find()
        found = await link.call(lambda s: s.FindCoordinator(
            group_pb2.FindCoordinatorRequest(keys=[GROUP]), timeout=10),
            lambda a: a.coordinators[0].error_code)
        partition = found.coordinators[0].offsets_partition
        leader = next(b.name for b in cluster.endpoints.brokers if b.port == coordinator.port)
        follower = next(b.name for b in cluster.endpoints.brokers if b.port != coordinator.port)
        assert len(await offsets_replicas(coordinator, partition)) == 2
        loads_before = loads_logged(cluster, leader, partition)

        cluster.kill(follower, signal.SIGSTOP)
        paused = follower
        async with grpc.aio.insecure_channel(str(coordinator)) as channel:
            refused = await group_pb2_grpc.GroupCoordinatorStub(channel).OffsetCommit(
                commit_request(member, 9), timeout=60)  # straight to it: no resend
        assert refused.error_code != 0  # not acknowledged by the ISR: not a success
        assert loads_logged(cluster, leader, partition) > loads_before  # reloaded from the log

        cluster.kill(follower, signal.SIGCONT)
        paused = None
        # The state is what the log holds; the member is still known at its epoch.
        heartbeat = group_pb2.ConsumerGroupHeartbeatRequest(
            group_id=GROUP, member_id=member.member_id, member_epoch=member.member_epoch,
            subscribed_topic_names=[TOPIC],
            topic_partitions=[group_pb2.TopicPartitions(topic=TOPIC, partitions=[0])])
        again = await link.call(lambda s: s.ConsumerGroupHeartbeat(heartbeat, timeout=10),
                                lambda a: a.error_code)
        assert (again.error_code, again.member_epoch) == (0, member.member_epoch)
        later = await link.call(lambda s: s.OffsetCommit(commit_request(member, 12), timeout=15),
                                lambda a: a.error_code)
        assert later.error_code == 0, later.error_message

        async def settled() -> bool:
            return await committed(link) == 12
        await eventually(settled, 30, "the commit after the follower resumed")
    finally:
        if paused is not None:
            cluster.kill(paused, signal.SIGCONT)
        await link.close()
