"""`kanal group ...` against a real cluster: the lag table of describe, the member and state
views, reset-offsets (dry run, refusal while members are active, execute) and delete."""

from __future__ import annotations

import subprocess
import sys
import urllib.request

import pytest
from kanal import Admin, Consumer, NewTopic, Producer, TopicPartition
from kanal.devcluster.cluster import DevCluster
from kanal.devcluster.pytest_plugin import DevClusterFactory
from prometheus_client.parser import text_string_to_metric_families

from .workers import wait_until

pytestmark = pytest.mark.integration

TOPIC = "clicks"
GROUP = "reporting"


def kanal(cluster: DevCluster, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kanal.cli", "--bootstrap", cluster.bootstrap, *args],
        capture_output=True, text=True, timeout=60, check=False)


def rows(output: str) -> list[list[str]]:
    return [line.split() for line in output.strip().splitlines()[1:]]


def wait_for_lag_metrics(cluster: DevCluster) -> dict[tuple[str, str], float]:
    """The group's samples on the (only) broker's /metrics: (name, partition) -> value."""
    url = cluster.endpoints.brokers[0].metrics_url
    assert url is not None
    found: dict[tuple[str, str], float] = {}

    def scraped() -> bool:
        found.clear()
        with urllib.request.urlopen(url, timeout=10) as answer:
            text = answer.read().decode()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.labels.get("group") == GROUP:
                    found[(sample.name, sample.labels.get("partition", ""))] = sample.value
        return ("kanal_consumergroup_lag", "1") in found

    wait_until(scraped, 30, "the lag metrics")
    return found


def test_group_commands(dev_cluster: DevClusterFactory) -> None:
    cluster = dev_cluster(brokers=1)
    with Admin(bootstrap_servers=cluster.bootstrap) as admin:
        admin.create_topics([NewTopic(TOPIC, 2, 1)])
    with Producer(bootstrap_servers=cluster.bootstrap) as producer:
        for i in range(10):
            for p in range(2):
                producer.send(TOPIC, value=b"%d" % i, partition=p)
    consumer = Consumer(TOPIC, bootstrap_servers=cluster.bootstrap, group_id=GROUP,
                        auto_offset_reset="earliest", enable_auto_commit=False)
    try:
        wait_until(lambda: len(consumer.assignment()) == 2, 30, "the assignment")
        consumer.commit_async({TopicPartition(TOPIC, 0): 1}).result(timeout=30)
        assert consumer.committed(TopicPartition(TOPIC, 0)) == 1
        consumer.commit({TopicPartition(TOPIC, 0): 6, TopicPartition(TOPIC, 1): 3})

        described = kanal(cluster, "group", "describe", GROUP)
        assert described.returncode == 0, described.stderr
        header = described.stdout.splitlines()[0].split()
        assert header == ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET",
                          "LAG", "CONSUMER-ID", "HOST"]
        table = rows(described.stdout)
        assert [r[:6] for r in table] == [[GROUP, TOPIC, "0", "6", "10", "4"],
                                          [GROUP, TOPIC, "1", "3", "10", "7"]]
        assert table[0][6] == table[1][6] != "-"  # the one member owns both
        assert table[0][7] == "127.0.0.1"

        members = kanal(cluster, "group", "describe", GROUP, "--members")
        assert members.returncode == 0, members.stderr
        assert len(rows(members.stdout)) == 1 and f"{TOPIC}:0,1" in members.stdout
        state = kanal(cluster, "group", "describe", GROUP, "--state")
        assert state.returncode == 0, state.stderr
        assert "Stable" in state.stdout
        listed = kanal(cluster, "group", "list")
        assert rows(listed.stdout) == [[GROUP, "Stable"]]

        lag = wait_for_lag_metrics(cluster)
        assert lag[("kanal_consumergroup_current_offset", "0")] == 6
        assert lag[("kanal_consumergroup_lag", "0")] == 4
        assert lag[("kanal_consumergroup_lag", "1")] == 7
        assert lag[("kanal_consumergroup_lag_seconds", "1")] >= 0
        assert lag[("kanal_consumergroup_members", "")] == 1

        refused = kanal(cluster, "group", "reset-offsets", GROUP, "--topic", TOPIC,
                        "--to-earliest", "--execute")
        assert refused.returncode != 0
        assert "members" in refused.stderr
    finally:
        consumer.close()

    def committed() -> list[str]:
        return [r[3] for r in rows(kanal(cluster, "group", "describe", GROUP).stdout)]

    dry = kanal(cluster, "group", "reset-offsets", GROUP, "--topic", TOPIC, "--to-offset", "2")
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout and committed() == ["6", "3"]
    done = kanal(cluster, "group", "reset-offsets", GROUP, "--topic", TOPIC, "--shift-by",
                 "-2", "--execute")
    assert done.returncode == 0, done.stderr
    assert committed() == ["4", "1"]
    latest = kanal(cluster, "group", "reset-offsets", GROUP, "--topic", TOPIC, "--to-latest",
                   "--execute")
    assert latest.returncode == 0, latest.stderr
    assert committed() == ["10", "10"]

    deleted = kanal(cluster, "group", "delete", GROUP)
    assert deleted.returncode == 0, deleted.stderr
    assert rows(kanal(cluster, "group", "list").stdout) == []
