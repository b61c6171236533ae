"""The leader drops a stalled follower from the ISR after replica.lag.time.max.ms and takes
it back once it has caught up, through the controller (AlterPartition); acks=all keeps
working with the smaller ISR, and the metrics say what happened."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import grpc
import pytest
from kanal.errors import NotEnoughReplicas, NotEnoughReplicasAfterAppend
from kanal.v1 import broker_pb2_grpc
from kanal_broker.testing import make_batch, produce_request

from .cluster_client import (
    TOPIC,
    Producer,
    check_replicas,
    create_topic,
    high_watermark,
    metric,
    wait_for_isr,
)
from .conftest import ReplicatedCluster

pytestmark = pytest.mark.integration

LAG_TIME_MAX_MS = "600"
# Longer than the stall, so the follower keeps its registration: only its lag drops it.
SESSION_TIMEOUT_MS = 8000


async def produce_once(endpoint: str, value: bytes, timeout_ms: int = 1000) -> int:
    """One acks=all attempt; its error code."""
    async with grpc.aio.insecure_channel(endpoint) as channel:
        reply = await broker_pb2_grpc.BrokerStub(channel).Produce(
            produce_request(TOPIC, 0, make_batch([value]), acks=-1, timeout_ms=timeout_ms),
            timeout=10)
    return reply.topics[0].partitions[0].error_code


async def until(check: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_stalled_follower_leaves_the_isr_and_comes_back(
        cluster: ReplicatedCluster) -> None:
    for broker_id in (1, 2, 3):
        cluster.start_broker(broker_id, "--replica-lag-time-max-ms", LAG_TIME_MAX_MS,
                             session_timeout_ms=SESSION_TIMEOUT_MS)
    await create_topic(cluster)
    await wait_for_isr(cluster, 3)
    producer = Producer(cluster)
    await producer.send(5)
    leader = cluster.brokers[producer.leaders[-1]]
    stalled_id = next(b for b in cluster.brokers if b != producer.leaders[-1])
    stalled = cluster.brokers[stalled_id]

    def leader_metric(name: str, **labels: str) -> float | None:
        return metric(leader.metrics_port, name, **labels)

    stalled.pause()
    try:
        await producer.send(5)  # acks=all goes on once the ISR no longer waits for it
        isr = await wait_for_isr(cluster, 2, without=stalled_id)
        assert stalled_id not in isr
        assert leader_metric("kanal_broker_isr_shrinks_total") == 1
        await until(lambda: leader_metric("kanal_broker_under_replicated_partitions") == 1,
                    "under-replicated count")
        assert leader_metric("kanal_broker_under_min_isr_partitions") == 0
    finally:
        stalled.resume()

    assert sorted(await wait_for_isr(cluster, 3)) == [1, 2, 3]
    await until(lambda: leader_metric("kanal_broker_isr_expands_total") == 1,
                "the expansion to be counted")
    await until(lambda: leader_metric("kanal_broker_under_replicated_partitions") == 0,
                "under-replicated count back to 0")
    await producer.send(3)
    await until(lambda: leader_metric("kanal_broker_replica_lag", topic="orders",
                                      partition="0", follower=str(stalled_id)) == 0,
                "the follower's lag to reach 0")
    assert metric(cluster.controller_metrics_port, "kanal_controller_offline_partitions") == 0

    # Both followers stall: the leader ends up alone in the ISR, and acks=all must not
    # count that as committed (min.insync.replicas is 2).
    followers = [b for b in cluster.brokers.values() if b is not leader]
    for follower in followers:
        follower.pause()
    try:
        alone = await produce_once(leader.endpoint, b"alone", timeout_ms=5000)
        assert alone == NotEnoughReplicasAfterAppend.code
        assert await produce_once(leader.endpoint, b"refused") == NotEnoughReplicas.code
        assert leader_metric("kanal_broker_under_min_isr_partitions") == 1
    finally:
        for follower in followers:
            follower.resume()
    await wait_for_isr(cluster, 3)
    await producer.send(2)

    committed = await high_watermark(leader.endpoint)
    for broker in cluster.brokers.values():
        broker.stop()
    await until(lambda: metric(cluster.controller_metrics_port,
                               "kanal_controller_offline_partitions") == 1,
                "the partition to be reported offline")
    check_replicas(cluster, producer.acked, committed)
