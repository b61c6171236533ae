"""Kill -9 of the group's coordinator: with `__consumer_offsets` at replication factor 3 on
three brokers, no committed offset is lost or rewound, the member keeps consuming through the
new coordinator, and a member started afterwards resumes exactly where the group stood."""

from __future__ import annotations

import asyncio

import pytest
from kanal import Admin, NewTopic, Producer, TopicPartition
from kanal.client.config import parse_bootstrap
from kanal.client.group_link import GroupLink
from kanal.devcluster.pytest_plugin import DevClusterFactory

from .workers import Ledger, Worker, wait_until

pytestmark = pytest.mark.integration

TOPIC = "payments"
GROUP = "settlement"
PARTITIONS = 4


def produce(bootstrap: str, per_partition: int) -> None:
    with Producer(bootstrap_servers=bootstrap, acks="all", linger_ms=5) as producer:
        for i in range(per_partition):
            for p in range(PARTITIONS):
                producer.send(TOPIC, value=b"%d" % i, partition=p)
        producer.flush(timeout=30)


def coordinator_port(bootstrap: str) -> int:
    async def find() -> int:
        link = GroupLink(parse_bootstrap(bootstrap), GROUP)
        try:
            return (await link.find()).port
        finally:
            await link.close()

    return asyncio.run(find())


def test_commits_survive_kill_9_of_the_coordinator(dev_cluster: DevClusterFactory) -> None:
    cluster = dev_cluster(brokers=3)
    with Admin(bootstrap_servers=cluster.bootstrap) as admin:
        admin.create_topics([NewTopic(TOPIC, PARTITIONS, 3)])
    ledger = Ledger()
    options = {"bootstrap_servers": cluster.bootstrap, "group_id": GROUP,
               "auto_offset_reset": "earliest", "auto_commit_interval_ms": 200}
    first = Worker("before", ledger, TOPIC, **options)
    try:
        wait_until(lambda: len(first.assignment()) == PARTITIONS, 40, "the assignment")
        produce(cluster.bootstrap, 50)
        wait_until(lambda: len(ledger.offsets()) == 200, 30, "200 records")
        tps = [TopicPartition(TOPIC, p) for p in range(PARTITIONS)]
        wait_until(lambda: all(first.consumer.committed(tp) == 50 for tp in tps), 30,
                   "the auto-commit of every position")

        port = coordinator_port(cluster.bootstrap)
        victim = next(b.name for b in cluster.endpoints.brokers if b.port == port)
        cluster.kill(victim)
        assert all(first.consumer.committed(tp) == 50 for tp in tps)  # nothing lost

        produce(cluster.bootstrap, 50)
        wait_until(lambda: len(ledger.offsets()) == 400, 40, "400 records after the kill")
        wait_until(lambda: all(first.consumer.committed(tp) == 100 for tp in tps), 30,
                   "the commits through the new coordinator")
    finally:
        first.close()
    produce(cluster.bootstrap, 25)
    second = Worker("after", ledger, TOPIC, **options)
    try:
        wait_until(lambda: len(ledger.offsets()) == 500, 40, "the 100 newest records")
    finally:
        second.close()
    assert ledger.duplicates() == {}
    assert {o for p, o, name in ledger.consumed if name == "after"} == set(range(100, 125))
