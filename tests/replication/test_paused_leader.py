"""SIGSTOP of the partition leader for longer than its session timeout, under acks=all load.

The paused leader's lease expires, the controller elects another in-sync replica, and the
producer goes on with it. When the old leader is resumed it must not acknowledge anything
(its lease deadline passed, and its leader epoch is stale): a produce sent to it the moment
it resumes is refused. It then rejoins as a follower, truncating whatever it appended that
the new leader does not hold. Every acknowledged batch is on every replica exactly once, and
the replicas are identical below the high watermark.
"""

from __future__ import annotations

import asyncio
import collections

import grpc
import pytest
from kanal.v1 import broker_pb2_grpc
from kanal_broker.testing import make_batch, produce_request

from .cluster_client import (
    TOPIC,
    Producer,
    check_replicas,
    create_topic,
    high_watermark,
    wait_for_isr,
)
from .conftest import SESSION_TIMEOUT_MS, ReplicatedCluster

pytestmark = pytest.mark.integration

PAUSE_S = 2 * SESSION_TIMEOUT_MS / 1000


async def produce_to(endpoint: str, value: bytes) -> int:
    """The error code of an acks=1 produce sent straight to `endpoint` (-1: no answer)."""
    try:
        async with grpc.aio.insecure_channel(endpoint) as channel:
            reply = await broker_pb2_grpc.BrokerStub(channel).Produce(
                produce_request(TOPIC, 0, make_batch([value]), acks=1), timeout=10)
    except grpc.RpcError:
        return -1
    return reply.topics[0].partitions[0].error_code


async def test_a_paused_leader_is_replaced_and_never_acknowledges_afterwards(
        cluster: ReplicatedCluster) -> None:
    for broker_id in (1, 2, 3):
        cluster.start_broker(broker_id, "--replica-lag-time-max-ms", "10000")
    await create_topic(cluster)
    await wait_for_isr(cluster, 3)
    producer = Producer(cluster)
    await producer.send(10)
    old_leader = producer.leaders[-1]
    paused = cluster.brokers[old_leader]

    paused.pause()
    try:
        await producer.send(10)  # waits out the failover, then goes on with the new leader
        assert producer.leaders[-1] != old_leader
        await asyncio.sleep(max(0.0, PAUSE_S - SESSION_TIMEOUT_MS / 1000))
    finally:
        paused.resume()
    assert await produce_to(paused.endpoint, b"to-the-stale-leader") != 0

    assert old_leader in await wait_for_isr(cluster, 3)
    await producer.send(5)
    committed = await high_watermark(cluster.brokers[producer.leaders[-1]].endpoint)
    for broker in cluster.brokers.values():
        broker.stop()
    logs = check_replicas(cluster, producer.acked, committed)
    for log in logs.values():
        bodies = collections.Counter(batch[21:] for batch in log.batches.values())
        assert all(bodies[body] == 1 for body in producer.acked.values())
        assert all(b"to-the-stale-leader" not in body for body in bodies)
