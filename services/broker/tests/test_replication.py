"""Replication between real broker processes, with the test standing in for the controller
(ClusterWriter sets leaders and ISRs): followers copy the leader, acks=all waits for the ISR,
consumers see only what the ISR holds, and a new leader epoch cuts an old leader's tail."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
import pytest
from kanal.devcluster.etcd import EtcdProcess
from kanal.errors import (
    FencedLeaderEpoch,
    NotLeaderForPartition,
    RequestTimedOut,
    UnknownLeaderEpoch,
)
from kanal.records.header import iter_batches
from kanal.v1 import broker_pb2, broker_pb2_grpc
from kanal_broker.testing import (
    FAST_REPLICATION_ARGS,
    BrokerProcess,
    ClusterWriter,
    make_batch,
    produce_request,
    read_stored_log,
    wait_for_leadership,
    wait_until,
)

from .conftest import CLUSTER_ID

if TYPE_CHECKING:
    from kanal.v1.broker_pb2_grpc import BrokerAsyncStub as Stub

TOPIC = "replicated"

StartBroker = Callable[[int], BrokerProcess]


@pytest.fixture
def brokers(etcd: EtcdProcess, tmp_path: Path) -> Iterator[StartBroker]:
    """Start broker `id` (again) on its own data directory; all stopped at the end."""
    started: dict[int, BrokerProcess] = {}

    def start(broker_id: int) -> BrokerProcess:
        process = BrokerProcess(broker_id=broker_id, data_dir=tmp_path / f"broker-{broker_id}",
                                etcd_endpoint=etcd.endpoint, cluster_id=CLUSTER_ID,
                                extra_args=FAST_REPLICATION_ARGS)
        process.start()
        started[broker_id] = process
        return process

    try:
        yield start
    finally:
        for process in started.values():
            process.stop()


@asynccontextmanager
async def connect(broker: BrokerProcess) -> AsyncIterator[Stub]:
    async with grpc.aio.insecure_channel(broker.endpoint) as channel:
        yield broker_pb2_grpc.BrokerStub(channel)


async def produce(stub: Stub, values: list[bytes], *, acks: int,
                  timeout_ms: int = 10_000) -> broker_pb2.PartitionProduceResponse:
    reply = await stub.Produce(produce_request(TOPIC, 0, make_batch(values), acks=acks,
                                               timeout_ms=timeout_ms))
    return reply.topics[0].partitions[0]


async def consumed(stub: Stub) -> list[int]:
    """Base offsets a consumer can read from offset 0."""
    reply = await stub.Fetch(broker_pb2.FetchRequest(
        replica_id=-1, max_bytes=1 << 20, topics=[broker_pb2.FetchTopic(
            topic=TOPIC, partitions=[broker_pb2.FetchPartition(
                partition=0, fetch_offset=0, partition_max_bytes=1 << 20,
                current_leader_epoch=-1)])]))
    answer = reply.topics[0].partitions[0]
    assert answer.error_code == 0, answer.error_message
    return [header.base_offset for _, header in iter_batches(answer.records)]


def stored(broker: BrokerProcess) -> dict[int, bytes]:
    return read_stored_log(broker.data_dir / f"{TOPIC}-0").batches


async def test_acks_all_waits_for_the_follower_and_consumers_only_see_committed(
        brokers: StartBroker, writer: ClusterWriter) -> None:
    leader, follower = brokers(1), brokers(2)
    await writer.create_topic(TOPIC, replicas=[1, 2], configs={"min.insync.replicas": "2"})
    async with connect(leader) as stub:
        await wait_for_leadership(stub, TOPIC)
        acked = [(await produce(stub, [f"v{i}".encode()], acks=-1)) for i in range(5)]
        assert [(a.error_code, a.base_offset) for a in acked] == [(0, i) for i in range(5)]
        assert await consumed(stub) == [0, 1, 2, 3, 4]

        follower.stop()
        lonely = await produce(stub, [b"unreplicated"], acks=-1, timeout_ms=300)
        assert lonely.error_code == RequestTimedOut.code
        assert (await produce(stub, [b"leader only"], acks=1)).error_code == 0
        assert await consumed(stub) == [0, 1, 2, 3, 4]  # the ISR does not hold 5 and 6

        follower = brokers(2)
        back = await produce(stub, [b"together"], acks=-1)
        assert (back.error_code, back.base_offset) == (0, 7)
        assert await consumed(stub) == list(range(8))
    leader.stop()
    follower.stop()
    assert stored(leader) == stored(follower)
    assert sorted(stored(follower)) == list(range(8))


async def test_a_new_leader_epoch_cuts_the_old_leaders_unreplicated_tail(
        brokers: StartBroker, writer: ClusterWriter) -> None:
    old_leader, new_leader = brokers(1), brokers(2)
    await writer.create_topic(TOPIC, replicas=[1, 2])
    async with connect(old_leader) as stub:
        await wait_for_leadership(stub, TOPIC)
        for i in range(3):
            assert (await produce(stub, [f"c{i}".encode()], acks=-1)).error_code == 0
        new_leader.stop()
        for i in range(2):
            assert (await produce(stub, [f"tail{i}".encode()] * 3, acks=1)).error_code == 0
    old_leader.kill()
    tail = stored(old_leader)
    assert sorted(tail) == [0, 1, 2, 3, 6]

    # The controller's move: broker 2 leads in epoch 1, broker 1 is expected back in sync.
    await writer.set_partition_state(TOPIC, 0, leader=2, leader_epoch=1, isr=[2, 1])
    new_leader = brokers(2)
    async with connect(new_leader) as stub:
        await wait_for_leadership(stub, TOPIC)
        for i in range(2):
            assert (await produce(stub, [f"new{i}".encode()], acks=1)).error_code == 0
        old_leader = brokers(1)
        synced = await produce(stub, [b"synced"], acks=-1)
        assert (synced.error_code, synced.base_offset) == (0, 5)
    old_leader.stop()
    new_leader.stop()
    assert stored(old_leader) == stored(new_leader)
    assert sorted(stored(old_leader)) == [0, 1, 2, 3, 4, 5]
    assert stored(old_leader)[3] != tail[3]  # the old tail is gone, not kept beside


async def test_offset_for_leader_epoch(brokers: StartBroker, writer: ClusterWriter) -> None:
    broker = brokers(1)
    await writer.create_topic(TOPIC, replicas=[1], leader_epoch=3)
    async with connect(broker) as stub:
        await wait_for_leadership(stub, TOPIC)
        await produce(stub, [b"a", b"b"], acks=1)
        await writer.set_partition_state(TOPIC, 0, leader=1, leader_epoch=5, isr=[1])

        async def end_of(epoch: int, current: int = -1) -> tuple[int, int, int]:
            reply = await stub.OffsetForLeaderEpoch(broker_pb2.OffsetForLeaderEpochRequest(
                replica_id=2, topics=[broker_pb2.OffsetForLeaderEpochTopic(
                    topic=TOPIC, partitions=[broker_pb2.OffsetForLeaderEpochPartition(
                        partition=0, current_leader_epoch=current, leader_epoch=epoch)])]))
            answer = reply.topics[0].partitions[0]
            return answer.error_code, answer.leader_epoch, answer.end_offset

        async def in_epoch_5() -> bool:
            return (await end_of(5, current=5))[0] == 0

        await wait_until(in_epoch_5, what="epoch 5")
        await produce(stub, [b"c"], acks=1)
        assert await end_of(3) == (0, 3, 2)
        assert await end_of(4) == (0, 3, 2)  # nothing was written in epoch 4
        assert await end_of(5) == (0, 5, 3)
        assert await end_of(9) == (0, 5, 3)
        assert await end_of(2) == (0, 2, 0)  # older than the log: it ended where the log begins
        assert (await end_of(5, current=4))[0] == FencedLeaderEpoch.code
        assert (await end_of(5, current=6))[0] == UnknownLeaderEpoch.code
        await writer.set_partition_state(TOPIC, 0, leader=2, leader_epoch=6, isr=[2])

        async def deposed() -> bool:
            return (await end_of(5))[0] == NotLeaderForPartition.code

        await wait_until(deposed, what="broker 1 to stop leading")


async def test_each_broker_leads_some_partitions_and_follows_the_rest(
        brokers: StartBroker, writer: ClusterWriter) -> None:
    first, second = brokers(1), brokers(2)
    await writer.create_topic(TOPIC, partitions=4, replicas=[1, 2])
    for p in (2, 3):
        await writer.set_partition_state(TOPIC, p, leader=2, leader_epoch=1, isr=[2, 1])
    leaders = {0: first, 1: first, 2: second, 3: second}
    async with connect(first) as stub1, connect(second) as stub2:
        stubs = {0: stub1, 1: stub1, 2: stub2, 3: stub2}
        await wait_for_leadership(stub1, TOPIC, [0, 1])
        await wait_for_leadership(stub2, TOPIC, [2, 3])
        for i in range(12):
            p = i % 4
            reply = await stubs[p].Produce(produce_request(
                TOPIC, p, make_batch([f"{p}-{i}".encode()]), acks=-1))
            answer = reply.topics[0].partitions[0]
            assert (answer.error_code, answer.base_offset) == (0, i // 4)
    first.stop()
    second.stop()
    for p, leader in leaders.items():
        follower = second if leader is first else first
        directory = f"{TOPIC}-{p}"
        on_leader = read_stored_log(leader.data_dir / directory)
        on_follower = read_stored_log(follower.data_dir / directory)
        assert sorted(on_leader.batches) == [0, 1, 2]
        assert on_follower.batches == on_leader.batches
