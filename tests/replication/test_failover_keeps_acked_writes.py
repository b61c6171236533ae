"""Kill -9 of a partition leader under acks=all load: no acknowledged write is lost.

Three brokers, one controller, a topic with replication factor 3 and min.insync.replicas 2.
A producer sends acks=all batches one at a time over raw gRPC and records the offset of every
acknowledged one; mid-stream the leader is killed with SIGKILL and the producer goes on with
the new leader (found through any broker's metadata). The killed broker restarts, truncates
whatever it held beyond the new leader's log, catches up and rejoins the ISR. Then every
replica's log is read from disk: each acknowledged batch is at its offset on every replica,
and the replicas are byte-identical below the high watermark.
"""

from __future__ import annotations

import pytest

from .cluster_client import (
    Producer,
    check_replicas,
    create_topic,
    high_watermark,
    produce_leader_only,
    wait_for_isr,
)
from .conftest import ReplicatedCluster

pytestmark = pytest.mark.integration

BATCHES_BEFORE_KILL = 25
BATCHES_AFTER_KILL = 25
async def test_kill_9_of_the_leader_loses_no_acknowledged_write(
        cluster: ReplicatedCluster) -> None:
    for broker_id in (1, 2, 3):
        cluster.start_broker(broker_id, "--replica-lag-time-max-ms", "10000")
    await create_topic(cluster)
    await wait_for_isr(cluster, 3)

    producer = Producer(cluster)
    await producer.send(BATCHES_BEFORE_KILL)
    first_leader = producer.leaders[-1]
    # A tail only the old leader gets: its followers are paused while it takes acks=1
    # batches, and it dies before they could fetch them (the restarted broker must cut it).
    followers = [b for b in cluster.brokers if b != first_leader]
    for broker_id in followers:
        cluster.brokers[broker_id].pause()
    tail = [await produce_leader_only(cluster.brokers[first_leader].endpoint, f"tail-{i}")
            for i in range(3)]
    cluster.brokers[first_leader].kill()
    for broker_id in followers:
        cluster.brokers[broker_id].resume()
    await producer.send(BATCHES_AFTER_KILL)
    assert producer.leaders[-1] != first_leader

    cluster.start_broker(first_leader)
    assert sorted(await wait_for_isr(cluster, 3)) == [1, 2, 3]
    await producer.send(3)  # acknowledged by all three again
    leader = producer.leaders[-1]
    committed = await high_watermark(cluster.brokers[leader].endpoint)
    for broker in cluster.brokers.values():
        broker.stop()

    logs = check_replicas(cluster, producer.acked, committed)
    # A follower may have fetched the first tail batch just before it was paused; the last
    # one only the old leader ever held, so it must be gone from every log.
    for log in logs.values():
        assert tail[-1] not in {batch[21:] for batch in log.batches.values()}
