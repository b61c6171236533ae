"""A partition's leader going away is a retriable condition: sends wait and retry, and
complete once the leader is back; a consumer picks up where it was."""

from __future__ import annotations

import signal
import time

import pytest
from kanal import Admin, Consumer, NewTopic, Producer, TopicPartition
from kanal.devcluster.cluster import DevCluster

pytestmark = pytest.mark.integration


def leader_of(admin: Admin, topic: str, partition: int) -> int:
    (description,) = admin.describe_topics([topic])
    return description.partitions[partition].leader


def wait_for_leader(admin: Admin, topic: str, partition: int, wanted: int) -> None:
    deadline = time.monotonic() + 30
    while leader_of(admin, topic, partition) != wanted:
        assert time.monotonic() < deadline, f"leader of {topic}-{partition} never became {wanted}"
        time.sleep(0.2)


def poll_values(consumer: Consumer, count: int) -> list[bytes]:
    values: list[bytes] = []
    deadline = time.monotonic() + 20
    while len(values) < count and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            values.extend(r.value for r in records)
    return values


def test_clients_ride_out_the_leader_going_away_and_coming_back(
    two_brokers: DevCluster,
) -> None:
    bootstrap = two_brokers.bootstrap
    with (Admin(bootstrap_servers=bootstrap) as admin,
          Producer(bootstrap_servers=bootstrap, retry_backoff_max_ms=300) as producer,
          Consumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                   retry_backoff_max_ms=300) as consumer):
        admin.create_topics([NewTopic("moving", replica_assignment=[[2]])])
        consumer.assign([TopicPartition("moving", 0)])
        before = [producer.send("moving", value=b"before-%d" % i) for i in range(20)]
        assert [f.get(timeout=10).offset for f in before] == list(range(20))
        assert poll_values(consumer, 20) == [b"before-%d" % i for i in range(20)]

        two_brokers.kill("broker-2", signal.SIGKILL)
        wait_for_leader(admin, "moving", 0, -1)  # the controller marked it offline
        during = [producer.send("moving", value=b"during-%d" % i) for i in range(20)]
        assert consumer.poll(timeout_ms=1000) == {}  # fetches fail and are retried quietly
        assert not any(f.is_done for f in during)  # retrying, not failed

        two_brokers.restart("broker-2")
        wait_for_leader(admin, "moving", 0, 2)
        assert [f.get(timeout=30).offset for f in during] == list(range(20, 40))
        assert producer.metrics()["producer-metrics"]["record-retry-total"] > 0
        assert poll_values(consumer, 20) == [b"during-%d" % i for i in range(20)]


def test_acks_all_follows_leadership_to_the_other_replica(two_brokers: DevCluster) -> None:
    bootstrap = two_brokers.bootstrap
    with (Admin(bootstrap_servers=bootstrap) as admin,
          Producer(bootstrap_servers=bootstrap, acks="all",
                   retry_backoff_max_ms=300) as producer,
          Consumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                   retry_backoff_max_ms=300) as consumer):
        admin.create_topics([NewTopic("replicated", replica_assignment=[[1, 2]])])
        first = [producer.send("replicated", value=b"a-%d" % i) for i in range(50)]
        assert [f.get(timeout=20).offset for f in first] == list(range(50))

        two_brokers.kill("broker-1", signal.SIGKILL)
        wait_for_leader(admin, "replicated", 0, 2)  # the in-sync follower takes over
        second = [producer.send("replicated", value=b"b-%d" % i) for i in range(50)]
        assert [f.get(timeout=30).offset for f in second] == list(range(50, 100))

        consumer.assign([TopicPartition("replicated", 0)])
        expected = [b"a-%d" % i for i in range(50)] + [b"b-%d" % i for i in range(50)]
        assert poll_values(consumer, 100) == expected
