"""AlterPartition: the only way an ISR grows, and a stale or foreign leader cannot change it.
Real etcd, the controller in this test's loop, brokers simulated by their registrations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import grpc
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kanal.devcluster.etcd import EtcdProcess
from kanal.meta.documents import PartitionState
from kanal.meta.etcd import Etcd
from kanal.meta.layout import Layout
from kanal.v1 import common_pb2, controller_pb2, controller_pb2_grpc
from kanal_controller.app import ControllerApp
from kanal_controller.leadership import elect
from kanal_controller.testing import SimulatedBrokers, controller_settings, eventually

if TYPE_CHECKING:
    from kanal.v1.controller_pb2_grpc import ControllerAsyncStub

E = common_pb2.ErrorCode
CLUSTER_ID = "test"
TOPIC = "replicated"


def alter(broker: int, *, leader_epoch: int, partition_epoch: int, isr: Sequence[int],
          topic: str = TOPIC) -> controller_pb2.AlterPartitionRequest:
    return controller_pb2.AlterPartitionRequest(broker_id=broker, topics=[
        controller_pb2.AlterPartitionTopic(topic=topic, partitions=[
            controller_pb2.AlterPartitionData(partition=0, leader_epoch=leader_epoch,
                                              partition_epoch=partition_epoch,
                                              new_isr=list(isr))])])


async def state_of(client: Etcd, layout: Layout) -> PartitionState:
    entry = await client.get(layout.partition(TOPIC, 0))
    assert entry is not None
    return PartitionState.from_json(entry.value)


@pytest.fixture
async def three_replicas(controller: ControllerApp, stub: ControllerAsyncStub,
                         brokers: SimulatedBrokers) -> None:
    for broker_id in (1, 2, 3):
        await brokers.start(broker_id)

    async def all_live() -> bool:
        return set(controller.live_brokers.brokers) == {1, 2, 3}

    await eventually(all_live, "the controller to see brokers 1, 2 and 3")
    reply = await stub.CreateTopics(controller_pb2.CreateTopicsRequest(topics=[
        controller_pb2.NewTopic(name=TOPIC, replica_assignment=[
            controller_pb2.ReplicaList(broker_ids=[1, 2, 3])])]))
    assert reply.results[0].error_code == E.NONE


@pytest.mark.usefixtures("three_replicas")
async def test_leader_shrinks_and_grows_its_isr(stub: ControllerAsyncStub, etcd_client: Etcd,
                                                layout: Layout) -> None:
    before = await state_of(etcd_client, layout)
    assert (before.leader, before.isr) == (1, [1, 2, 3])

    reply = await stub.AlterPartition(alter(1, leader_epoch=before.leader_epoch,
                                            partition_epoch=before.partition_epoch,
                                            isr=[1, 2]))
    result = reply.topics[0].partitions[0]
    assert (reply.error_code, result.error_code) == (E.NONE, E.NONE)
    assert (list(result.isr), result.partition_epoch) == ([1, 2], before.partition_epoch + 1)
    shrunk = await state_of(etcd_client, layout)
    assert (shrunk.isr, shrunk.partition_epoch, shrunk.leader_epoch) == (
        [1, 2], before.partition_epoch + 1, before.leader_epoch)

    # The same request again is based on a stale partition epoch: refused, nothing written.
    stale = await stub.AlterPartition(alter(1, leader_epoch=before.leader_epoch,
                                            partition_epoch=before.partition_epoch,
                                            isr=[1, 2, 3]))
    assert stale.topics[0].partitions[0].error_code == E.FENCED_LEADER_EPOCH
    assert await state_of(etcd_client, layout) == shrunk

    grown = await stub.AlterPartition(alter(1, leader_epoch=shrunk.leader_epoch,
                                            partition_epoch=shrunk.partition_epoch,
                                            isr=[1, 2, 3]))
    assert grown.topics[0].partitions[0].error_code == E.NONE
    assert (await state_of(etcd_client, layout)).isr == [1, 2, 3]


@pytest.mark.usefixtures("three_replicas")
async def test_refusals_leave_the_state_alone(stub: ControllerAsyncStub, etcd_client: Etcd,
                                             layout: Layout) -> None:
    state = await state_of(etcd_client, layout)
    le, pe = state.leader_epoch, state.partition_epoch
    cases = [
        (alter(2, leader_epoch=le, partition_epoch=pe, isr=[2, 3]), E.NOT_LEADER_OR_FOLLOWER),
        (alter(1, leader_epoch=le - 1, partition_epoch=pe, isr=[1, 2]),
         E.FENCED_LEADER_EPOCH),
        (alter(1, leader_epoch=le + 1, partition_epoch=pe, isr=[1, 2]),
         E.UNKNOWN_LEADER_EPOCH),
        (alter(1, leader_epoch=le, partition_epoch=pe, isr=[2, 3]), E.INVALID_REQUEST),
        (alter(1, leader_epoch=le, partition_epoch=pe, isr=[1, 4]), E.INVALID_REQUEST),
        (alter(1, leader_epoch=le, partition_epoch=pe, isr=[1, 1, 2]), E.INVALID_REQUEST),
        (alter(1, leader_epoch=le, partition_epoch=pe, isr=[1], topic="nope"),
         E.UNKNOWN_TOPIC_OR_PARTITION),
    ]
    for request, code in cases:
        reply = await stub.AlterPartition(request)
        assert reply.topics[0].partitions[0].error_code == code, request
    assert await state_of(etcd_client, layout) == state


@pytest.mark.usefixtures("three_replicas")
async def test_only_live_brokers_join_and_the_controller_never_adds(
        stub: ControllerAsyncStub, brokers: SimulatedBrokers, etcd_client: Etcd,
        layout: Layout, controller: ControllerApp) -> None:
    await brokers.stop(3)

    async def dropped() -> bool:
        return (await state_of(etcd_client, layout)).isr == [1, 2]

    await eventually(dropped, "the controller to drop broker 3 from the ISR")
    state = await state_of(etcd_client, layout)
    refused = await stub.AlterPartition(alter(1, leader_epoch=state.leader_epoch,
                                              partition_epoch=state.partition_epoch,
                                              isr=[1, 2, 3]))
    assert refused.topics[0].partitions[0].error_code == E.REPLICA_NOT_AVAILABLE

    await brokers.start(3)

    async def live_again() -> bool:
        return 3 in controller.live_brokers.brokers

    await eventually(live_again, "the controller to see broker 3 again")
    back = await stub.AlterPartition(alter(1, leader_epoch=state.leader_epoch,
                                           partition_epoch=state.partition_epoch,
                                           isr=[1, 3, 2]))
    assert back.topics[0].partitions[0].error_code == E.NONE
    assert sorted((await state_of(etcd_client, layout)).isr) == [1, 2, 3]


@pytest.mark.usefixtures("controller")
async def test_a_standby_answers_not_controller(etcd: EtcdProcess) -> None:
    settings = controller_settings(etcd.endpoint, CLUSTER_ID, "standby")
    async with ControllerApp(settings) as standby, grpc.aio.insecure_channel(
            f"127.0.0.1:{standby.port}") as channel:
        stub = controller_pb2_grpc.ControllerStub(channel)

        async def points_to_the_active() -> bool:
            reply = await stub.AlterPartition(alter(1, leader_epoch=0, partition_epoch=0,
                                                    isr=[1]))
            assert reply.error_code == E.NOT_CONTROLLER
            return reply.not_controller.active.controller_id == "active"

        await eventually(points_to_the_active, "the standby to name the active controller")


brokers_st = st.lists(st.integers(0, 6), min_size=1, max_size=5, unique=True)


@given(replicas=brokers_st, isr=brokers_st, live=st.sets(st.integers(0, 6)),
       leader=st.integers(-1, 6))
def test_elections_never_grow_an_isr(replicas: list[int], isr: list[int], live: set[int],
                                     leader: int) -> None:
    state = PartitionState(leader=leader, leader_epoch=3, isr=isr, partition_epoch=5)
    after = elect(state, replicas, live)
    if after is not None:
        assert set(after.isr) <= set(isr)
        assert after.leader == -1 or after.leader in after.isr
