"""Reassignment, rebalance and decommission through the controller's gRPC API, against real
etcd with brokers simulated by their registrations: the etcd documents at each step (target
plus removing replicas, adding/removing lists, epochs), completion only once the new replicas
are in the ISR, leadership leaving a removed leader, cancel, and refusals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import grpc
import pytest
from kanal.devcluster.etcd import EtcdProcess
from kanal.meta.documents import PartitionState, TopicSpec
from kanal.meta.etcd import Etcd
from kanal.meta.layout import Layout
from kanal.v1 import common_pb2, controller_pb2
from kanal.v1.controller_pb2_grpc import ControllerStub
from kanal_controller.app import ControllerApp
from kanal_controller.join_rebalance import JoinRebalancer, JoinRebalanceSettings
from kanal_controller.testing import (
    SimulatedBrokers,
    controller_settings,
    eventually,
    wait_active,
)

if TYPE_CHECKING:
    from kanal.v1.controller_pb2_grpc import ControllerAsyncStub

E = common_pb2.ErrorCode
DrainState = controller_pb2.DescribeBrokerDrainResponse.DrainState
TOPIC = "moving"


async def documents(client: Etcd, layout: Layout, partition: int = 0
                    ) -> tuple[list[int], PartitionState]:
    topic = await client.get(layout.topic(TOPIC))
    state = await client.get(layout.partition(TOPIC, partition))
    assert topic is not None and state is not None
    return (TopicSpec.from_json(topic.value).assignment[partition],
            PartitionState.from_json(state.value))


def move(partition: int, replicas: Sequence[int], *, cancel: bool = False,
         throttle: int = 0) -> controller_pb2.AlterPartitionReassignmentsRequest:
    return controller_pb2.AlterPartitionReassignmentsRequest(
        throttle_bytes_per_s=throttle, partitions=[controller_pb2.ReassignmentTarget(
            topic=TOPIC, partition=partition, replicas=list(replicas), cancel=cancel)])


async def grow_isr(stub: ControllerAsyncStub, client: Etcd, layout: Layout,
                   isr: Sequence[int]) -> None:
    """What the partition's leader does once the new replicas caught up."""
    _, state = await documents(client, layout)
    reply = await stub.AlterPartition(controller_pb2.AlterPartitionRequest(
        broker_id=state.leader, topics=[controller_pb2.AlterPartitionTopic(
            topic=TOPIC, partitions=[controller_pb2.AlterPartitionData(
                partition=0, leader_epoch=state.leader_epoch,
                partition_epoch=state.partition_epoch, new_isr=list(isr))])]))
    assert reply.topics[0].partitions[0].error_code == E.NONE


@pytest.fixture
async def four_brokers(controller: ControllerApp, stub: ControllerAsyncStub,
                       brokers: SimulatedBrokers) -> None:
    for broker_id in (1, 2, 3, 4):
        await brokers.start(broker_id)

    async def all_live() -> bool:
        return set(controller.live_brokers.brokers) == {1, 2, 3, 4}

    await eventually(all_live, "the controller to see brokers 1-4")
    reply = await stub.CreateTopics(controller_pb2.CreateTopicsRequest(topics=[
        controller_pb2.NewTopic(name=TOPIC, replica_assignment=[
            controller_pb2.ReplicaList(broker_ids=[1, 2, 3]),
            controller_pb2.ReplicaList(broker_ids=[2, 3, 1])])]))
    assert reply.results[0].error_code == E.NONE


@pytest.mark.usefixtures("four_brokers")
async def test_move_waits_for_the_isr_then_drops_the_old_leader(
        stub: ControllerAsyncStub, etcd_client: Etcd, layout: Layout) -> None:
    _, before = await documents(etcd_client, layout)
    reply = await stub.AlterPartitionReassignments(move(0, [4, 2, 3], throttle=5000))
    assert [r.error_code for r in reply.results] == [E.NONE]

    replicas, state = await documents(etcd_client, layout)
    assert replicas == [4, 2, 3, 1]
    assert (state.adding_replicas, state.removing_replicas) == ([4], [1])
    assert state.reassignment_throttle == 5000
    assert state.leader == 1 and state.partition_epoch == before.partition_epoch + 1
    listed = await stub.ListPartitionReassignments(
        controller_pb2.ListPartitionReassignmentsRequest())
    assert [(r.topic, r.partition, list(r.adding_replicas)) for r in listed.reassignments] == [
        (TOPIC, 0, [4])]

    await grow_isr(stub, etcd_client, layout, [1, 2, 3, 4])

    async def completed() -> bool:
        replicas, state = await documents(etcd_client, layout)
        return replicas == [4, 2, 3] and not state.reassigning

    await eventually(completed, "the move to complete once broker 4 is in the ISR")
    _, after = await documents(etcd_client, layout)
    assert after.leader == 4 and after.leader_epoch == before.leader_epoch + 1
    assert sorted(after.isr) == [2, 3, 4] and after.reassignment_throttle == 0


@pytest.mark.usefixtures("four_brokers")
async def test_nothing_completes_before_the_new_replica_is_in_sync(
        stub: ControllerAsyncStub, controller: ControllerApp, etcd_client: Etcd,
        layout: Layout) -> None:
    await stub.AlterPartitionReassignments(move(0, [1, 2, 4]))
    assert controller.reassignments is not None
    await controller.reassignments.complete_ready()
    replicas, state = await documents(etcd_client, layout)
    assert replicas == [1, 2, 4, 3] and state.adding_replicas == [4]
    assert controller.metrics.registry.get_sample_value(
        "kanal_controller_reassigning_partitions") == 1

    reply = await stub.AlterPartitionReassignments(move(0, [], cancel=True))
    assert [r.error_code for r in reply.results] == [E.NONE]
    replicas, state = await documents(etcd_client, layout)
    assert replicas == [1, 2, 3] and not state.reassigning and state.leader == 1


@pytest.mark.usefixtures("four_brokers")
async def test_bad_targets_are_refused_and_change_nothing(
        stub: ControllerAsyncStub, etcd_client: Etcd, layout: Layout) -> None:
    before = await documents(etcd_client, layout)
    for target, code in (([1, 1, 2], E.INVALID_REPLICA_ASSIGNMENT),
                         ([1, 2, 9], E.INVALID_REPLICA_ASSIGNMENT),
                         ([], E.INVALID_REPLICA_ASSIGNMENT)):
        reply = await stub.AlterPartitionReassignments(move(0, target))
        assert [r.error_code for r in reply.results] == [code]
    unknown = await stub.AlterPartitionReassignments(move(7, [1, 2, 3]))
    assert [r.error_code for r in unknown.results] == [E.UNKNOWN_TOPIC_OR_PARTITION]
    nothing = await stub.AlterPartitionReassignments(move(0, [], cancel=True))
    assert [r.error_code for r in nothing.results] == [E.INVALID_REPLICA_ASSIGNMENT]
    assert await documents(etcd_client, layout) == before


@pytest.mark.usefixtures("four_brokers")
async def test_decommission_moves_every_replica_off_the_broker(
        stub: ControllerAsyncStub, etcd_client: Etcd, layout: Layout) -> None:
    reply = await stub.DecommissionBroker(controller_pb2.DecommissionBrokerRequest(broker_id=3))
    assert reply.error_code == E.NONE
    assert {(m.partition, 3 in m.target_replicas) for m in reply.moves} == {(0, False),
                                                                              (1, False)}
    status = await stub.DescribeBrokerDrain(controller_pb2.DescribeBrokerDrainRequest(
        broker_id=3))
    assert (status.state, status.replicas, status.moving) == (DrainState.DRAINING, 2, 2)
    for partition in (0, 1):
        replicas, state = await documents(etcd_client, layout, partition)
        assert state.removing_replicas == [3] and state.adding_replicas == [4]
        assert replicas[-1] == 3


async def test_decommission_is_refused_when_the_rest_cannot_hold_the_rf(
        controller: ControllerApp, stub: ControllerAsyncStub, brokers: SimulatedBrokers,
        etcd_client: Etcd, layout: Layout) -> None:
    for broker_id in (1, 2, 3):
        await brokers.start(broker_id)

    async def all_live() -> bool:
        return set(controller.live_brokers.brokers) == {1, 2, 3}

    await eventually(all_live, "the controller to see brokers 1-3")
    await stub.CreateTopics(controller_pb2.CreateTopicsRequest(topics=[
        controller_pb2.NewTopic(name=TOPIC, num_partitions=1, replication_factor=3)]))
    before = await documents(etcd_client, layout)
    reply = await stub.DecommissionBroker(controller_pb2.DecommissionBrokerRequest(broker_id=2))
    assert reply.error_code == E.INVALID_REPLICATION_FACTOR
    assert "replication factor" in reply.error_message
    status = await stub.DescribeBrokerDrain(controller_pb2.DescribeBrokerDrainRequest(
        broker_id=2))
    assert status.state == DrainState.REFUSED and status.reason == reply.error_message
    assert await documents(etcd_client, layout) == before


@pytest.mark.usefixtures("four_brokers")
async def test_rebalance_spreads_replicas_over_every_broker(stub: ControllerAsyncStub) -> None:
    reply = await stub.RebalancePartitions(controller_pb2.RebalancePartitionsRequest(
        validate_only=True))
    assert reply.error_code == E.NONE
    targets = {m.partition: list(m.target_replicas) for m in reply.moves}
    assert any(4 in t for t in targets.values())
    listed = await stub.ListPartitionReassignments(
        controller_pb2.ListPartitionReassignmentsRequest())
    assert not listed.reassignments  # validate_only moved nothing


async def test_only_brokers_registered_after_activation_count_as_joined(
        etcd: EtcdProcess, etcd_client: Etcd, layout: Layout,
        brokers: SimulatedBrokers) -> None:
    for broker_id in (1, 2, 3):  # 3 holds nothing: maybe a drained broker awaiting deletion
        await brokers.start(broker_id)
    settings = controller_settings(etcd.endpoint, layout.cluster_id, "late")
    async with ControllerApp(settings) as app:
        await wait_active(app)

        async def live(ids: set[int]) -> bool:
            return set(app.live_brokers.brokers) == ids

        await eventually(lambda: live({1, 2, 3}), "brokers 1-3 live")
        async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
            stub = ControllerStub(channel)
            await stub.CreateTopics(controller_pb2.CreateTopicsRequest(topics=[
                controller_pb2.NewTopic(name=TOPIC, replica_assignment=[
                    controller_pb2.ReplicaList(broker_ids=[1, 2]),
                    controller_pb2.ReplicaList(broker_ids=[2, 1])])]))
            assert app.drains is not None and app.election is not None
            election = app.election
            joiner = JoinRebalancer(
                drains=app.drains, etcd=etcd_client, layout=layout,
                controller_epoch=lambda: election.fence.epoch if election.fence else None,
                settings=JoinRebalanceSettings(enabled=True))
            assert not await joiner.rebalance_if_joined()

            await brokers.start(4)
            await eventually(lambda: live({1, 2, 3, 4}), "broker 4 live")
            assert await joiner.rebalance_if_joined()
            listed = await stub.ListPartitionReassignments(
                controller_pb2.ListPartitionReassignmentsRequest())
            assert any(4 in m.adding_replicas for m in listed.reassignments)
