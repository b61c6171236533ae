"""Election, standbys and fencing with several controllers in one event loop, real etcd."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import grpc
import pytest
from kanal.devcluster.etcd import EtcdProcess
from kanal.errors import NotController
from kanal.meta.etcd import Etcd, Put
from kanal.meta.layout import Layout
from kanal.v1 import common_pb2, controller_pb2, controller_pb2_grpc
from kanal_controller.app import ControllerApp
from kanal_controller.fenced_writes import FencedWriter
from kanal_controller.testing import (
    SimulatedBrokers,
    controller_settings,
    eventually,
    metadata_state,
    wait_active,
)

E = common_pb2.ErrorCode


@pytest.fixture
async def pair(etcd: EtcdProcess,
               layout: Layout) -> AsyncIterator[tuple[ControllerApp, ControllerApp]]:
    """Two controllers: the first is active, the second a standby that knows it."""
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(
            ControllerApp(controller_settings(etcd.endpoint, layout.cluster_id, "first")))
        await wait_active(first)
        second = await stack.enter_async_context(
            ControllerApp(controller_settings(etcd.endpoint, layout.cluster_id, "second")))

        async def standby_knows() -> bool:
            assert second.election is not None
            return second.election.active is not None
        await eventually(standby_knows, "standby sees the active controller")
        yield first, second


async def test_standby_refuses_writes_and_names_the_active_controller(
        pair: tuple[ControllerApp, ControllerApp], brokers: SimulatedBrokers,
        etcd_client: Etcd, layout: Layout) -> None:
    first, second = pair
    await brokers.start(1)
    before = await metadata_state(etcd_client, layout)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{second.port}") as channel:
        standby = controller_pb2_grpc.ControllerStub(channel)
        created = await standby.CreateTopics(controller_pb2.CreateTopicsRequest(
            topics=[controller_pb2.NewTopic(name="t")]))
        deleted = await standby.DeleteTopics(controller_pb2.DeleteTopicsRequest(names=["t"]))
        altered = await standby.AlterConfigs(controller_pb2.AlterConfigsRequest(resources=[
            controller_pb2.ConfigResource(type=controller_pb2.ConfigResource.Type.BROKER,
                                          name="default", set={"retention.ms": "1"})]))
        for response in (created, deleted, altered):
            assert [r.error_code for r in response.results] == [E.NOT_CONTROLLER]
            active = response.not_controller.active
            assert (active.controller_id, active.endpoint.port) == ("first", first.port)
            assert first.election is not None and first.election.fence is not None
            assert active.controller_epoch == first.election.fence.epoch
        assert await metadata_state(etcd_client, layout) == before

        # Reads are served by any controller.
        cluster = await standby.DescribeCluster(controller_pb2.DescribeClusterRequest())
        assert cluster.cluster_id == layout.cluster_id
        assert cluster.active_controller.controller_id == "first"
        assert sorted(c.controller_id for c in cluster.controllers) == ["first", "second"]
        assert [b.broker_id for b in cluster.brokers] == [1]
        topics = await standby.DescribeTopics(controller_pb2.DescribeTopicsRequest(names=["t"]))
        assert topics.topics[0].error_code == E.UNKNOWN_TOPIC_OR_PARTITION


async def test_deposed_controller_cannot_write(
        pair: tuple[ControllerApp, ControllerApp], etcd_client: Etcd, layout: Layout) -> None:
    first, second = pair
    assert first.election is not None and second.election is not None
    stale_fence = first.election.fence
    assert stale_fence is not None
    # The first controller's session ends behind its back (as when etcd expires a lease of a
    # paused process); the standby wins the next election.
    lease = await first.etcd.get(layout.controller_leader)
    assert lease is not None
    await etcd_client.revoke_lease(lease.lease)
    await wait_active(second)
    assert second.election.fence is not None
    assert second.election.fence.epoch > stale_fence.epoch

    # The deposed controller writes with what it believes is still its fence: etcd refuses.
    deposed = FencedWriter(first.etcd, lambda: stale_fence)
    with pytest.raises(NotController):
        await deposed.commit([Put(layout.topic("zombie"), b"{}")])
    assert await etcd_client.get(layout.topic("zombie")) is None

    # And the deposed controller notices and steps down.
    async def stepped_down() -> bool:
        assert first.election is not None
        return not first.election.is_active
    await eventually(stepped_down, "the deposed controller steps down")


async def test_graceful_stop_hands_over_at_once(etcd: EtcdProcess, layout: Layout) -> None:
    # A session timeout far beyond the poll deadline: only resigning can explain a handover.
    long = 600_000
    second = ControllerApp(controller_settings(etcd.endpoint, layout.cluster_id, "second",
                                               session_timeout_ms=long))
    async with ControllerApp(controller_settings(etcd.endpoint, layout.cluster_id, "first",
                                                 session_timeout_ms=long)) as first:
        await wait_active(first)
        await second.start()
    try:
        await wait_active(second)
    finally:
        await second.stop()


async def test_lost_etcd_session_steps_down(controller: ControllerApp,
                                            etcd: EtcdProcess) -> None:
    assert active_gauge(controller) == 1
    etcd.stop()

    async def stepped_down() -> bool:
        assert controller.election is not None
        return not controller.election.is_active
    await eventually(stepped_down, "controller steps down without etcd")
    assert active_gauge(controller) == 0


def active_gauge(app: ControllerApp) -> float | None:
    return app.metrics.registry.get_sample_value("kanal_controller_active")
