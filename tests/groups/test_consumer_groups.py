"""Consumer groups end to end with real processes: partitions shared out, moved on join and
on close, and no (partition, offset) consumed by two members."""

from __future__ import annotations

import pytest
from kanal import Admin, NewTopic, Producer
from kanal.devcluster.pytest_plugin import DevClusterFactory

from .workers import Ledger, Worker, balanced, wait_until

pytestmark = pytest.mark.integration

TOPIC = "orders"
PARTITIONS = 6
REBALANCE_S = 40.0


def produce(bootstrap: str, per_partition: int, start: int) -> None:
    with Producer(bootstrap_servers=bootstrap, linger_ms=5) as producer:
        for i in range(per_partition):
            for p in range(PARTITIONS):
                producer.send(TOPIC, value=b"%d" % (start + i), partition=p)
        producer.flush(timeout=30)


def test_members_share_partitions_and_never_consume_one_offset_twice(
        dev_cluster: DevClusterFactory) -> None:
    cluster = dev_cluster(brokers=1)
    with Admin(bootstrap_servers=cluster.bootstrap) as admin:
        admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)])
    ledger = Ledger()
    options = {"bootstrap_servers": cluster.bootstrap, "group_id": "billing",
               "auto_offset_reset": "earliest", "auto_commit_interval_ms": 500}
    workers = [Worker(f"c{i}", ledger, TOPIC, **options) for i in range(3)]
    try:
        wait_until(lambda: balanced(workers, PARTITIONS), REBALANCE_S, "three members")
        assert sorted(len(w.assignment()) for w in workers) == [2, 2, 2]
        produce(cluster.bootstrap, 50, 0)
        wait_until(lambda: len(ledger.offsets()) == 300, 30, "the first 300 records")

        workers.append(Worker("c3", ledger, TOPIC, **options))
        wait_until(lambda: balanced(workers, PARTITIONS), REBALANCE_S, "the fourth member")
        produce(cluster.bootstrap, 50, 50)
        wait_until(lambda: len(ledger.offsets()) == 600, 30, "600 records")

        leaving = workers.pop(0)
        moved = leaving.assignment()
        leaving.close()
        wait_until(lambda: balanced(workers, PARTITIONS), REBALANCE_S, "the member's leave")
        assert moved <= set().union(*(w.assignment() for w in workers))
        produce(cluster.bootstrap, 50, 100)
        wait_until(lambda: len(ledger.offsets()) == 900, 30, "900 records")
    finally:
        for worker in workers:
            worker.close()
    assert ledger.duplicates() == {}
    assert ledger.offsets() == {(p, o) for p in range(PARTITIONS) for o in range(150)}
