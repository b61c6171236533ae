"""Partition leadership follows broker registrations in etcd (brokers simulated by their
leased `brokers/<id>` keys)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc
from kanal.devcluster.etcd import EtcdProcess
from kanal.meta.layout import Layout
from kanal.v1 import common_pb2, controller_pb2, controller_pb2_grpc
from kanal_controller.app import ControllerApp
from kanal_controller.testing import (
    SimulatedBrokers,
    controller_settings,
    eventually,
    wait_active,
)

if TYPE_CHECKING:
    from kanal.v1.controller_pb2_grpc import ControllerAsyncStub as Stub

E = common_pb2.ErrorCode
Partition = controller_pb2.PartitionDescription


async def create_placed(stub: Stub, name: str, *assignment: list[int]) -> None:
    async def created() -> bool:
        response = await stub.CreateTopics(controller_pb2.CreateTopicsRequest(topics=[
            controller_pb2.NewTopic(name=name, replica_assignment=[
                controller_pb2.ReplicaList(broker_ids=ids) for ids in assignment])]))
        return response.results[0].error_code in (E.NONE, E.TOPIC_ALREADY_EXISTS)
    await eventually(created, f"topic {name} created")  # brokers may not be seen yet


async def partitions(stub: Stub, name: str) -> list[Partition]:
    response = await stub.DescribeTopics(controller_pb2.DescribeTopicsRequest(names=[name]))
    return list(response.topics[0].partitions)


def summary(partition: Partition) -> tuple[int, list[int], int, int]:
    return (partition.leader, list(partition.isr), partition.leader_epoch,
            partition.partition_epoch)


async def wait_for(stub: Stub, name: str, expected: list[tuple[int, list[int], int, int]],
                   what: str) -> None:
    async def reached() -> bool:
        return [summary(p) for p in await partitions(stub, name)] == expected
    await eventually(reached, what)


async def test_leader_moves_then_goes_offline_then_returns(
        stub: Stub, brokers: SimulatedBrokers, controller: ControllerApp) -> None:
    for broker_id in (1, 2, 3):
        await brokers.start(broker_id)
    await create_placed(stub, "t", [1, 2], [2, 3], [3, 1])
    await wait_for(stub, "t", [(1, [1, 2], 0, 0), (2, [2, 3], 0, 0), (3, [3, 1], 0, 0)],
                   "created")

    await brokers.stop(1)
    await wait_for(stub, "t", [(2, [2], 1, 1), (2, [2, 3], 0, 0), (3, [3], 0, 1)],
                   "broker 1 left: its leadership moved, ISRs shrank")

    await brokers.stop(2)
    await wait_for(stub, "t", [(-1, [2], 2, 2), (3, [3], 1, 1), (3, [3], 0, 1)],
                   "broker 2 left: partition 0 offline, its last ISR member kept")
    assert controller.metrics.registry.get_sample_value(
        "kanal_controller_offline_partitions") == 1

    await brokers.start(1)  # not in sync: no unclean election
    await brokers.start(2)
    await wait_for(stub, "t", [(2, [2], 3, 3), (3, [3], 1, 1), (3, [3], 0, 1)],
                   "broker 2 back: partition 0 online again with a new epoch")
    assert controller.metrics.registry.get_sample_value(
        "kanal_controller_offline_partitions") == 0
    assert (controller.metrics.registry.get_sample_value(
        "kanal_controller_leader_elections_total") or 0) >= 3


async def test_changes_while_no_controller_is_active_are_repaired_on_activation(
        etcd: EtcdProcess, layout: Layout, brokers: SimulatedBrokers) -> None:
    settings = controller_settings(etcd.endpoint, layout.cluster_id, "first")
    for broker_id in (1, 2):
        await brokers.start(broker_id)
    async with ControllerApp(settings) as first:
        await wait_active(first)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{first.port}") as channel:
            await create_placed(controller_pb2_grpc.ControllerStub(channel), "t", [1, 2])
    await brokers.stop(1)  # nobody is watching now
    async with ControllerApp(controller_settings(etcd.endpoint, layout.cluster_id,
                                                 "second")) as second:
        await wait_active(second)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{second.port}") as channel:
            await wait_for(controller_pb2_grpc.ControllerStub(channel), "t",
                           [(2, [2], 1, 1)], "repaired by the next active controller")
