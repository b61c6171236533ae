"""A rolling restart under acks=all load: controlled shutdown moves leadership first.

Three brokers, RF 3, min.insync.replicas 2. While a producer sends acks=all batches (retried
until acknowledged), each broker in turn gets SIGTERM and is started again, the current
leader first. With controlled shutdown the stopping leader hands its partition to another
in-sync replica before it deregisters: etcd's history shows the partition state's leader
change at a lower revision than the deletion of the broker's registration key. Afterwards
every acknowledged batch is on every replica, and the replicas are identical below the HW.
"""

from __future__ import annotations

import asyncio
import contextlib

import grpc
import pytest
from kanal.meta.documents import PartitionState
from kanal.meta.etcd import Etcd
from kanal.meta.layout import Layout
from kanal.types import HostPort

from .cluster_client import (
    TOPIC,
    Producer,
    check_replicas,
    create_topic,
    high_watermark,
    wait_for_isr,
)
from .conftest import CLUSTER_ID, ReplicatedCluster, describe_partition

pytestmark = pytest.mark.integration

HISTORY_TIMEOUT_S = 10.0


async def first_revision(etcd: Etcd, key: bytes, since: int, *, deleted: bool,
                         not_led_by: int | None = None) -> int:
    """The revision of the first event on `key` after `since`: its deletion, or a put of a
    partition state whose leader is not `not_led_by`. etcd replays history to a watch."""
    async with asyncio.timeout(HISTORY_TIMEOUT_S):
        async for event in etcd.watch(key, prefix=False, start_revision=since + 1):
            if deleted and event.deleted:
                return event.entry.mod_revision
            if not deleted and not event.deleted:
                state = PartitionState.from_json(event.entry.value)
                if state.leader != not_led_by:
                    return event.entry.mod_revision
    raise AssertionError("the watch ended")


async def keep_producing(producer: Producer, done: asyncio.Event) -> None:
    while not done.is_set():
        await producer.send(1)


async def current_leader(cluster: ReplicatedCluster) -> int:
    """The leader per the first broker that answers. A broker restarted a moment ago may
    still be starting (or the previous one still stopping) and not answer: ask the next,
    for a bounded number of rounds."""
    for _ in range(20):
        for broker in cluster.brokers.values():
            if broker.process is None or broker.process.poll() is not None:
                continue
            try:
                _, partition = await describe_partition(broker.endpoint, TOPIC)
            except grpc.RpcError:
                continue
            if partition is not None and partition.leader >= 0:
                return partition.leader
        await asyncio.sleep(0.25)
    raise AssertionError("no broker knows a leader")


async def test_rolling_restart_moves_leadership_before_each_leader_stops(
        cluster: ReplicatedCluster) -> None:
    for broker_id in (1, 2, 3):
        cluster.start_broker(broker_id, "--replica-lag-time-max-ms", "10000")
    await create_topic(cluster)
    await wait_for_isr(cluster, 3)
    layout = Layout(CLUSTER_ID)
    etcd = Etcd([HostPort.parse(cluster.etcd.endpoint, 2379)], timeout_s=5)
    producer = Producer(cluster)
    done = asyncio.Event()
    producing = asyncio.create_task(keep_producing(producer, done))
    leaders_stopped = 0
    try:
        await producer.send(5)
        restarted: list[int] = []
        while len(restarted) < 3:
            leader = await current_leader(cluster)
            victim = leader if leader not in restarted else \
                next(b for b in (1, 2, 3) if b not in restarted)
            since = (await etcd.get_prefix(layout.brokers_prefix)).revision
            assert await asyncio.to_thread(cluster.brokers[victim].stop) == 0
            if victim == leader:
                leaders_stopped += 1
                moved = await first_revision(etcd, layout.partition(TOPIC, 0), since,
                                             deleted=False, not_led_by=victim)
                gone = await first_revision(etcd, layout.broker(victim), since, deleted=True)
                assert moved < gone, "leadership moved only after the broker deregistered"
            cluster.start_broker(victim)
            restarted.append(victim)
            await wait_for_isr(cluster, 3)
            await producer.send(3)  # progress under the new leader, in the test's own task
        done.set()
        await producing
    finally:
        done.set()
        producing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await producing
        await etcd.close()
    assert leaders_stopped >= 2
    committed = await high_watermark(cluster.brokers[await current_leader(cluster)].endpoint)
    for broker in cluster.brokers.values():
        broker.stop()
    check_replicas(cluster, producer.acked, committed)
