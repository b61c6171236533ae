"""Preferred-leader and unclean elections: the rules, the ElectLeaders RPC, the automatic
rebalance, and the per-topic unclean.leader.election.enable in automatic election. Real
etcd, the controller in this test's loop, brokers simulated by their registrations."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

import grpc
from hypothesis import given
from hypothesis import strategies as st
from kanal.devcluster.etcd import EtcdProcess
from kanal.meta.documents import PartitionState
from kanal.meta.etcd import Etcd
from kanal.meta.layout import Layout
from kanal.v1 import common_pb2, controller_pb2, controller_pb2_grpc
from kanal_controller.app import ControllerApp
from kanal_controller.preferred_leader import (
    imbalanced_brokers,
    preferred_election,
    unclean_election,
)
from kanal_controller.testing import (
    SimulatedBrokers,
    controller_settings,
    eventually,
    wait_active,
)

if TYPE_CHECKING:
    from kanal.v1.controller_pb2_grpc import ControllerAsyncStub

E = common_pb2.ErrorCode
CLUSTER_ID = "test"
PREFERRED = controller_pb2.ElectLeadersRequest.ElectionType.PREFERRED
UNCLEAN = controller_pb2.ElectLeadersRequest.ElectionType.UNCLEAN


def state(leader: int, isr: list[int], leader_epoch: int = 0,
          partition_epoch: int = 0) -> PartitionState:
    return PartitionState(leader=leader, leader_epoch=leader_epoch, isr=isr,
                          partition_epoch=partition_epoch)


def test_preferred_replica_in_sync_takes_over() -> None:
    assert preferred_election(state(2, [2, 1], 3, 5), [1, 2], {1, 2}) == state(1, [2, 1], 4, 6)


def test_preferred_replica_out_of_sync_or_gone_does_not() -> None:
    assert preferred_election(state(2, [2], 3, 5), [1, 2], {1, 2}) is None
    assert preferred_election(state(2, [2, 1], 3, 5), [1, 2], {2}) is None
    assert preferred_election(state(1, [2, 1], 3, 5), [1, 2], {1, 2}) is None


def test_unclean_election_takes_a_live_replica_outside_the_isr() -> None:
    assert unclean_election(state(-1, [1], 3, 5), [1, 2, 3], {3}) == state(3, [3], 4, 6)
    assert unclean_election(state(2, [2], 3, 5), [1, 2], {1, 2}) is None  # a live leader
    assert unclean_election(state(-1, [1], 3, 5), [1, 2], set()) is None


def test_imbalance_is_the_share_of_preferred_partitions_led_elsewhere() -> None:
    partitions = [([1, 2], state(1, [1, 2])), ([1, 2], state(2, [1, 2])),
                  ([2, 1], state(2, [1, 2])), ([2, 1], state(2, [1, 2]))]
    assert imbalanced_brokers(partitions, 10) == {1}
    assert imbalanced_brokers(partitions, 50) == set()  # exactly 50 % is not above it


@given(st.lists(st.tuples(st.permutations([1, 2, 3]), st.sampled_from([-1, 1, 2, 3])),
                max_size=12),
       st.integers(0, 100))
def test_only_brokers_with_displaced_partitions_are_imbalanced(
        rows: list[tuple[Sequence[int], int]], percent: int) -> None:
    partitions = [(replicas, state(leader, [1, 2, 3])) for replicas, leader in rows]
    for broker in imbalanced_brokers(partitions, percent):
        assert any(r[0] == broker and s.leader != broker for r, s in partitions)


async def create(stub: ControllerAsyncStub, name: str, replicas: list[int],
                 configs: dict[str, str] | None = None) -> None:
    reply = await stub.CreateTopics(controller_pb2.CreateTopicsRequest(topics=[
        controller_pb2.NewTopic(name=name, configs=configs or {}, replica_assignment=[
            controller_pb2.ReplicaList(broker_ids=replicas)])]))
    assert reply.results[0].error_code == E.NONE, reply.results[0].error_message


async def current(client: Etcd, layout: Layout, topic: str) -> PartitionState:
    entry = await client.get(layout.partition(topic, 0))
    assert entry is not None
    return PartitionState.from_json(entry.value)


async def set_isr(stub: ControllerAsyncStub, client: Etcd, layout: Layout, topic: str,
                  isr: list[int]) -> None:
    now = await current(client, layout, topic)
    reply = await stub.AlterPartition(controller_pb2.AlterPartitionRequest(
        broker_id=now.leader, topics=[controller_pb2.AlterPartitionTopic(
            topic=topic, partitions=[controller_pb2.AlterPartitionData(
                partition=0, leader_epoch=now.leader_epoch,
                partition_epoch=now.partition_epoch, new_isr=isr)])]))
    assert reply.topics[0].partitions[0].error_code == E.NONE


async def leader_becomes(client: Etcd, layout: Layout, topic: str, leader: int) -> None:
    async def check() -> bool:
        return (await current(client, layout, topic)).leader == leader
    await eventually(check, f"{topic} led by {leader}")


async def start_three(controller: ControllerApp, brokers: SimulatedBrokers) -> None:
    for broker_id in (1, 2, 3):
        await brokers.start(broker_id)

    async def all_live() -> bool:
        return set(controller.live_brokers.brokers) == {1, 2, 3}
    await eventually(all_live, "the controller to see brokers 1, 2 and 3")


def elect_request(kind: controller_pb2.ElectLeadersRequest.ElectionType.ValueType,
                  *topics: str) -> controller_pb2.ElectLeadersRequest:
    return controller_pb2.ElectLeadersRequest(election_type=kind, partitions=[
        common_pb2.TopicPartition(topic=t, partition=0) for t in topics])


async def displace_preferred_leader(stub: ControllerAsyncStub, client: Etcd, layout: Layout,
                                    brokers: SimulatedBrokers, topic: str) -> None:
    """Broker 1 (preferred) restarts: broker 2 leads, then takes 1 back into the ISR."""
    await create(stub, topic, [1, 2, 3])
    await brokers.stop(1)
    await leader_becomes(client, layout, topic, 2)
    await brokers.start(1)

    async def readded() -> bool:
        try:
            await set_isr(stub, client, layout, topic, [2, 3, 1])
        except AssertionError:
            return False  # the controller has not seen broker 1 come back yet
        return True
    await eventually(readded, "broker 1 back in the ISR")


async def test_elect_leaders_preferred_then_unclean(
        controller: ControllerApp, stub: ControllerAsyncStub, etcd_client: Etcd,
        layout: Layout, brokers: SimulatedBrokers) -> None:
    await start_three(controller, brokers)
    await displace_preferred_leader(stub, etcd_client, layout, brokers, "t")

    reply = await stub.ElectLeaders(elect_request(PREFERRED))
    [result] = [r for r in reply.results if r.topic == "t"]
    assert (result.error_code, result.leader, result.elected) == (E.NONE, 1, True)
    again = await stub.ElectLeaders(elect_request(PREFERRED, "t"))
    assert (again.results[0].error_code, again.results[0].elected) == (E.NONE, False)

    # Only broker 1 in sync, and it dies: offline. Preferred cannot help; unclean can.
    await set_isr(stub, etcd_client, layout, "t", [1])
    await brokers.stop(1)
    await leader_becomes(etcd_client, layout, "t", -1)
    refused = await stub.ElectLeaders(elect_request(UNCLEAN))
    assert refused.error_code == E.INVALID_REQUEST
    preferred = await stub.ElectLeaders(elect_request(PREFERRED, "t"))
    assert preferred.results[0].error_code == E.REPLICA_NOT_AVAILABLE
    unknown = await stub.ElectLeaders(elect_request(UNCLEAN, "nope"))
    assert unknown.results[0].error_code == E.UNKNOWN_TOPIC_OR_PARTITION
    unclean = await stub.ElectLeaders(elect_request(UNCLEAN, "t"))
    assert (unclean.results[0].error_code, unclean.results[0].leader) == (E.NONE, 2)
    after = await current(etcd_client, layout, "t")
    assert (after.leader, after.isr) == (2, [2])


async def test_topic_with_unclean_election_enabled_elects_outside_the_isr(
        controller: ControllerApp, stub: ControllerAsyncStub, etcd_client: Etcd,
        layout: Layout, brokers: SimulatedBrokers) -> None:
    await start_three(controller, brokers)
    await create(stub, "clean", [1, 2, 3])
    await create(stub, "unclean", [1, 2, 3], {"unclean.leader.election.enable": "true"})
    for topic in ("clean", "unclean"):
        await set_isr(stub, etcd_client, layout, topic, [1])
    await brokers.stop(1)
    await leader_becomes(etcd_client, layout, "unclean", 2)
    assert (await current(etcd_client, layout, "unclean")).isr == [2]
    assert (await current(etcd_client, layout, "clean")).leader == -1


async def test_automatic_rebalance_moves_leadership_back(
        etcd: EtcdProcess, etcd_client: Etcd, layout: Layout,
        brokers: SimulatedBrokers) -> None:
    settings = dataclasses.replace(controller_settings(etcd.endpoint, CLUSTER_ID, "balancer"),
                                   leader_imbalance_check_interval_ms=200)
    async with ControllerApp(settings) as controller:
        await wait_active(controller)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{controller.port}") as channel:
            stub = controller_pb2_grpc.ControllerStub(channel)
            await start_three(controller, brokers)
            await displace_preferred_leader(stub, etcd_client, layout, brokers, "t")
            await leader_becomes(etcd_client, layout, "t", 1)
