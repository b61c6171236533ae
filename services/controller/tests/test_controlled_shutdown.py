"""Controlled shutdown: the rule (`elect_around_shutdown`) case by case, and the RPC against
real etcd with brokers simulated by their registrations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from kanal.meta.documents import PartitionState
from kanal.meta.etcd import Etcd
from kanal.meta.layout import Layout
from kanal.v1 import common_pb2, controller_pb2
from kanal_controller.app import ControllerApp
from kanal_controller.leadership import elect_around_shutdown
from kanal_controller.testing import SimulatedBrokers, eventually

if TYPE_CHECKING:
    from kanal.v1.controller_pb2_grpc import ControllerAsyncStub

E = common_pb2.ErrorCode
TOPIC = "replicated"


def state(leader: int, isr: list[int], leader_epoch: int = 0,
          partition_epoch: int = 0) -> PartitionState:
    return PartitionState(leader=leader, leader_epoch=leader_epoch, isr=isr,
                          partition_epoch=partition_epoch)


def test_stopping_leader_hands_over_to_the_next_in_sync_replica() -> None:
    new = elect_around_shutdown(state(1, [1, 2, 3], 4, 7), [1, 2, 3], {1, 2, 3}, {1})
    assert new == state(2, [2, 3], 5, 8)


def test_stopping_follower_leaves_the_isr() -> None:
    new = elect_around_shutdown(state(2, [1, 2, 3], 4, 7), [1, 2, 3], {1, 2, 3}, {1})
    assert new == state(2, [2, 3], 4, 8)


def test_stopping_leader_without_successor_keeps_its_partition() -> None:
    assert elect_around_shutdown(state(1, [1], 4, 7), [1, 2], {1, 2}, {1}) is None


def test_offline_partition_is_not_given_to_a_stopping_broker() -> None:
    assert elect_around_shutdown(state(-1, [1], 4, 7), [1, 2], {1, 2}, {1}) is None


def test_stopping_sole_in_sync_leader_is_not_replaced_uncleanly() -> None:
    kept = elect_around_shutdown(state(1, [1], 4, 7), [1, 2], {1, 2}, {1}, unclean=True)
    assert kept is None
    offline = elect_around_shutdown(state(-1, [1], 4, 7), [1, 2, 3], {1, 3}, {1},
                                    unclean=True)
    assert offline == state(3, [3], 5, 8)  # unclean, but never to the stopping broker


async def partition_state(client: Etcd, layout: Layout) -> PartitionState:
    entry = await client.get(layout.partition(TOPIC, 0))
    assert entry is not None
    return PartitionState.from_json(entry.value)


async def broker_epoch(client: Etcd, layout: Layout, broker_id: int) -> int:
    entry = await client.get(layout.broker(broker_id))
    assert entry is not None
    return entry.mod_revision


def shutdown(broker_id: int, epoch: int) -> controller_pb2.ControlledShutdownRequest:
    return controller_pb2.ControlledShutdownRequest(broker_id=broker_id, broker_epoch=epoch)


def add_to_isr(leader: int, current: PartitionState,
               isr: list[int]) -> controller_pb2.AlterPartitionRequest:
    return controller_pb2.AlterPartitionRequest(broker_id=leader, topics=[
        controller_pb2.AlterPartitionTopic(topic=TOPIC, partitions=[
            controller_pb2.AlterPartitionData(partition=0, leader_epoch=current.leader_epoch,
                                              partition_epoch=current.partition_epoch,
                                              new_isr=isr)])])


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
async def test_a_stale_broker_epoch_is_refused(stub: ControllerAsyncStub, etcd_client: Etcd,
                                               layout: Layout) -> None:
    epoch = await broker_epoch(etcd_client, layout, 1)
    reply = await stub.ControlledShutdown(shutdown(1, epoch - 1))
    assert reply.error_code == E.BROKER_NOT_AVAILABLE
    assert (await partition_state(etcd_client, layout)).leader == 1
    missing = await stub.ControlledShutdown(shutdown(7, epoch))
    assert missing.error_code == E.BROKER_NOT_AVAILABLE


@pytest.mark.usefixtures("three_replicas")
async def test_leadership_moves_and_the_stopping_broker_cannot_rejoin(
        stub: ControllerAsyncStub, etcd_client: Etcd, layout: Layout,
        brokers: SimulatedBrokers) -> None:
    before = await partition_state(etcd_client, layout)
    reply = await stub.ControlledShutdown(
        shutdown(1, await broker_epoch(etcd_client, layout, 1)))
    assert (reply.error_code, list(reply.partitions_remaining)) == (E.NONE, [])
    moved = await partition_state(etcd_client, layout)
    assert (moved.leader, moved.isr, moved.leader_epoch) == (2, [2, 3],
                                                              before.leader_epoch + 1)

    refused = await stub.AlterPartition(add_to_isr(2, moved, [2, 3, 1]))
    assert refused.topics[0].partitions[0].error_code == E.REPLICA_NOT_AVAILABLE

    # Broker 2 stops too, then 3, the last in-sync replica: it has no successor, so it keeps
    # leading (the partition stays online until it really goes) and nothing is "remaining".
    for broker_id, leader, isr in ((2, 3, [3]), (3, 3, [3])):
        reply = await stub.ControlledShutdown(
            shutdown(broker_id, await broker_epoch(etcd_client, layout, broker_id)))
        assert (reply.error_code, list(reply.partitions_remaining)) == (E.NONE, [])
        current = await partition_state(etcd_client, layout)
        assert (current.leader, current.isr) == (leader, isr)

    # Broker 1 restarts (a new registration): it is no longer shutting down, so it may
    # rejoin the ISR.
    await brokers.stop(1)
    await brokers.start(1)

    async def rejoined() -> bool:
        current = await partition_state(etcd_client, layout)
        reply = await stub.AlterPartition(add_to_isr(3, current, [3, 1]))
        return reply.topics[0].partitions[0].error_code == E.NONE

    await eventually(rejoined, "broker 1 to be accepted into the ISR after its restart")
