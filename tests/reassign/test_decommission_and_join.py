"""Decommissioning a broker and rebalancing onto a joining one, with real processes and the
`kanal` command line: afterwards the drained broker holds no partition directory, the joined
broker holds replicas, and every record written before is still readable."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from kanal import Consumer, Producer
from kanal.types import TopicPartition

from .conftest import MovingCluster

pytestmark = pytest.mark.integration

TOPIC = "events"
PARTITIONS = 3


def partition_dirs(data_dir: Path) -> list[str]:
    return sorted(p.name for p in data_dir.iterdir() if p.name.startswith(f"{TOPIC}-"))


def write(cluster: MovingCluster, count: int) -> None:
    with Producer(bootstrap_servers=cluster.bootstrap, acks="all") as producer:
        futures = [producer.send(TOPIC, value=f"v{i}".encode(), partition=i % PARTITIONS)
                   for i in range(count)]
        for future in futures:
            future.get(timeout=30)


def read_count(cluster: MovingCluster, expected: int) -> int:
    with Consumer(bootstrap_servers=cluster.bootstrap, auto_offset_reset="earliest") as consumer:
        consumer.assign([TopicPartition(TOPIC, p) for p in range(PARTITIONS)])
        seen = 0
        deadline = time.monotonic() + 30
        while seen < expected and time.monotonic() < deadline:
            seen += sum(len(r) for r in consumer.poll(timeout_ms=500).values())
        return seen


def wait_until_nothing_moves(cluster: MovingCluster, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while cluster.moving():
        assert time.monotonic() < deadline, cluster.moving()
        time.sleep(0.2)
    verified = cluster.kanal("partitions", "reassign", "--verify")
    assert verified.returncode == 0 and "no partition is moving" in verified.stdout


def test_decommission_drains_a_broker_and_refuses_what_cannot_fit(
        moving_cluster: MovingCluster) -> None:
    cluster = moving_cluster
    cluster.start_controller()
    for broker_id in (1, 2, 3):
        cluster.start_broker(broker_id)
    cluster.wait_for_brokers({1, 2, 3})
    cluster.create_topic(TOPIC, [[1, 2], [2, 3], [3, 1]])
    write(cluster, 300)

    done = cluster.kanal("broker", "decommission", "3", "--wait", "--timeout", "60")
    assert done.returncode == 0, done.stderr
    assert "safe to stop and delete" in done.stdout
    for partition in cluster.describe_topic(TOPIC).partitions:
        assert 3 not in partition.replicas and sorted(partition.isr) == [1, 2]
    deadline = time.monotonic() + 20
    while partition_dirs(cluster.brokers[3].data_dir):
        assert time.monotonic() < deadline, "broker 3 kept partition directories"
        time.sleep(0.1)
    drained = cluster.kanal("broker", "wait-drained", "3")
    assert drained.returncode == 0 and "holds no replica" in drained.stdout

    # Each replaced replica kept its position: [3, 1] became [2, 1].
    before = [list(p.replicas) for p in cluster.describe_topic(TOPIC).partitions]
    assert before == [[1, 2], [2, 1], [2, 1]]
    refused = cluster.kanal("broker", "decommission", "2")
    assert refused.returncode == 1
    assert "cannot hold its replication factor" in refused.stderr
    assert [list(p.replicas) for p in cluster.describe_topic(TOPIC).partitions] == before
    restart = cluster.kanal("broker", "wait-drained", "1", "--settle", "0.5")
    assert restart.returncode == 0 and "not being drained" in restart.stdout

    assert read_count(cluster, 300) == 300


def test_the_controller_rebalances_onto_a_joining_broker(moving_cluster: MovingCluster) -> None:
    cluster = moving_cluster
    cluster.start_controller("--rebalance-on-broker-join",
                             "--rebalance-throttle-bytes-per-s", "1000000")
    cluster.start_broker(1)
    cluster.start_broker(2)
    cluster.wait_for_brokers({1, 2})
    cluster.create_topic(TOPIC, [[1, 2], [2, 1], [1, 2]])
    write(cluster, 300)

    cluster.start_broker(3)
    deadline = time.monotonic() + 60
    while not any(3 in p.replicas for p in cluster.describe_topic(TOPIC).partitions):
        assert time.monotonic() < deadline, "nothing moved onto broker 3"
        time.sleep(0.2)
    wait_until_nothing_moves(cluster)
    counts = {b: sum(b in p.replicas for p in cluster.describe_topic(TOPIC).partitions)
              for b in (1, 2, 3)}
    assert counts == {1: 2, 2: 2, 3: 2}
    balanced = cluster.kanal("partitions", "reassign", "--rebalance", "--dry-run")
    assert balanced.returncode == 0 and "already balanced" in balanced.stdout
    assert len(partition_dirs(cluster.brokers[3].data_dir)) == 2
    assert read_count(cluster, 300) == 300
