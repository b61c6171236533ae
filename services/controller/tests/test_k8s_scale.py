"""`kubectl scale` of the broker StatefulSet, fed from recorded-shape watch events
(fixtures/k8s/*.jsonl: one watch event per line, as the API server streams them) through the
kubernetes client's own deserialisation into the watcher's logic, against a real controller
and etcd with brokers 0-3 simulated by their registrations (no API server)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from kanal.v1 import controller_pb2
from kanal_controller.app import ControllerApp
from kanal_controller.k8s_scale import ScaleDecision, desired_replicas, scale_decision
from kanal_controller.k8s_watcher import BrokerScaleWatcher, K8sWatchSettings
from kanal_controller.testing import SimulatedBrokers, eventually
from kubernetes.aio import watch
from kubernetes.aio.client import ApiClient, CoreV1Event
from kubernetes.aio.client.models import V1StatefulSet

if TYPE_CHECKING:
    from kanal.v1.controller_pb2_grpc import ControllerAsyncStub

FIXTURES = Path(__file__).parent / "fixtures" / "k8s"
DrainState = controller_pb2.DescribeBrokerDrainResponse.DrainState


async def recorded_events() -> list[dict[str, Any]]:
    stream = watch.Watch()  # type: ignore[no-untyped-call]
    try:
        lines = (FIXTURES / "broker-statefulset-watch.jsonl").read_text().splitlines()
        return [stream.unmarshal_event(line, "V1StatefulSet") for line in lines]
    finally:
        await stream.close()  # type: ignore[no-untyped-call]


def test_the_decision_drains_ordinals_at_or_above_the_replica_count() -> None:
    assert scale_decision(3, {0, 1, 2, 3, 4}, {1}) == ScaleDecision(drain=(3, 4), keep=(1,))
    assert scale_decision(5, {0, 1, 2}, set()) == ScaleDecision(drain=(), keep=())


async def test_recorded_events_deserialise_to_statefulsets() -> None:
    events = await recorded_events()
    assert all(isinstance(e["object"], V1StatefulSet) for e in events)
    assert [desired_replicas(e["object"]) for e in events] == [4, 3, 3, 4, 1, None]


@pytest.fixture
async def scaled(controller: ControllerApp, stub: ControllerAsyncStub,
                 brokers: SimulatedBrokers) -> None:
    for broker_id in (0, 1, 2, 3):
        await brokers.start(broker_id)

    async def all_live() -> bool:
        return set(controller.live_brokers.brokers) == {0, 1, 2, 3}

    await eventually(all_live, "the controller to see brokers 0-3")
    reply = await stub.CreateTopics(controller_pb2.CreateTopicsRequest(topics=[
        controller_pb2.NewTopic(name="t", replica_assignment=[
            controller_pb2.ReplicaList(broker_ids=[0, 3]),
            controller_pb2.ReplicaList(broker_ids=[3, 1]),
            controller_pb2.ReplicaList(broker_ids=[1, 2])])]))
    assert reply.results[0].error_code == 0


@pytest.mark.usefixtures("scaled")
async def test_scale_down_drains_refuses_and_scale_up_keeps(
        controller: ControllerApp, stub: ControllerAsyncStub) -> None:
    assert controller.drains is not None
    watcher = BrokerScaleWatcher(
        settings=K8sWatchSettings(statefulset="kanal-broker", namespace="streaming"),
        drains=controller.drains, is_active=lambda: True,
        registered=lambda: frozenset(controller.live_brokers.current()))
    posted: list[CoreV1Event] = []

    async def post(event: CoreV1Event) -> None:
        posted.append(event)

    async def drain_state(broker_id: int) -> int:
        reply = await stub.DescribeBrokerDrain(
            controller_pb2.DescribeBrokerDrainRequest(broker_id=broker_id))
        return reply.state

    events = [e["object"] for e in await recorded_events()]
    await watcher.observe(events[0], post)  # 4 replicas: nothing to do
    assert await drain_state(3) == DrainState.NOT_DRAINING

    await watcher.observe(events[1], post)  # scaled to 3: broker 3 drains
    assert await drain_state(3) == DrainState.DRAINING
    moving = await stub.ListPartitionReassignments(
        controller_pb2.ListPartitionReassignmentsRequest())
    assert {(m.partition, tuple(m.removing_replicas)) for m in moving.reassignments} == {
        (0, (3,)), (1, (3,))}
    await watcher.observe(events[2], post)  # the same count again: nothing new
    assert len((await stub.ListPartitionReassignments(
        controller_pb2.ListPartitionReassignmentsRequest())).reassignments) == 2

    await watcher.observe(events[3], post)  # back to 4: broker 3 stays
    assert controller.drains.draining() == frozenset()

    await watcher.observe(events[4], post)  # 1 replica cannot hold RF 2
    assert await drain_state(1) == DrainState.REFUSED
    assert posted and all(e.type == "Warning" and e.reason == "DecommissionRefused"
                          for e in posted)
    assert posted[0].involved_object.kind == "StatefulSet"
    assert posted[0].involved_object.name == "kanal-broker"
    assert "replication factor" in (posted[0].message or "")
    body = ApiClient().sanitize_for_serialization(posted[0])  # type: ignore[no-untyped-call]
    assert body["involvedObject"]["namespace"] == "streaming"
    count = len(posted)
    await watcher.observe(events[4], post)  # reported once per broker and reason
    assert len(posted) == count

    before = controller.drains.draining()
    await watcher.observe(events[5], post)  # the StatefulSet is being deleted: hands off
    assert controller.drains.draining() == before
