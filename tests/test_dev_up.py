"""End to end through the `kanal` command line, as a user would type it.

One dev cluster (1 controller, 2 brokers, free ports) serves the whole module; every step is
a `kanal --bootstrap ...` subprocess with stdin, stdout, stderr and exit code checked.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Protocol

import pytest
from kanal.devcluster.cluster import DevCluster

pytestmark = pytest.mark.integration


class Kanal(Protocol):
    """The `kanal` command against the module's cluster."""

    def __call__(
        self, *args: str, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]: ...


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevCluster]:
    started = DevCluster(
        tmp_path_factory.mktemp("dev-up"),
        brokers=2,
        controllers=1,
        base_broker_port=0,
        controller_port=0,
        etcd_port=0,
    )
    started.start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def kanal(cluster: DevCluster) -> Kanal:
    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kanal.cli", "--bootstrap", cluster.bootstrap, *args],
            input=stdin, check=False, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    return run


def _ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    assert "Traceback" not in result.stderr
    return result


def test_topic_lifecycle(kanal: Kanal) -> None:
    created = _ok(
        kanal(
            "topic",
            "create",
            "orders",
            "--partitions",
            "2",
            "--replication-factor",
            "2",
            "--config",
            "retention.ms=86400000",
        )
    )
    assert "Created topic orders." in created.stdout
    assert "orders" in _ok(kanal("topic", "list")).stdout.split()

    described = _ok(kanal("topic", "describe", "orders")).stdout
    lines = described.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:1] == ["PARTITION"])
    assert lines[header].split() == ["PARTITION", "LEADER", "REPLICAS", "ISR"]
    rows = [line.split() for line in lines[header + 1 :] if line.strip()]
    assert [row[0] for row in rows] == ["0", "1"]
    assert all(len(row[2].split(",")) == 2 for row in rows)
    assert "retention.ms=86400000" in described

    _ok(
        kanal(
            "topic",
            "alter",
            "orders",
            "--config",
            "cleanup.policy=compact",
            "--delete-config",
            "retention.ms",
        )
    )
    altered = _ok(kanal("topic", "describe", "orders")).stdout
    assert "cleanup.policy=compact" in altered and "retention.ms" not in altered

    again = kanal("topic", "create", "orders")
    assert again.returncode != 0
    assert again.stderr.strip().startswith("Error: [TopicAlreadyExists:36]")

    _ok(kanal("topic", "delete", "orders"))
    assert "orders" not in _ok(kanal("topic", "list")).stdout.split()


def test_produce_lines_then_consume_them(kanal: Kanal) -> None:
    _ok(kanal("topic", "create", "greetings", "--partitions", "3", "--replication-factor", "2"))
    lines = [f"user-{i % 4}:hello {i}" for i in range(12)]
    produced = _ok(
        kanal("produce", "greetings", "--key-separator", ":", stdin="\n".join(lines) + "\n")
    )
    assert "produced 12 records" in produced.stderr

    consumed = _ok(
        kanal(
            "consume",
            "greetings",
            "--from-beginning",
            "--max-messages",
            "12",
            "--print-key",
            "--timeout-ms",
            "30000",
        )
    )
    printed = consumed.stdout.splitlines()
    assert sorted(printed) == sorted(line.replace(":", "\t", 1) for line in lines)
    # Same key, same partition: each key's records come out in the order they went in.
    for key in {line.split(":")[0] for line in lines}:
        mine = [line for line in printed if line.startswith(key + "\t")]
        assert mine == [line.replace(":", "\t", 1) for line in lines if line.startswith(key)]
    assert "Processed a total of 12 messages" in consumed.stderr


def test_sigterm_ends_a_tailing_consume_with_its_count(kanal: Kanal, cluster: DevCluster) -> None:
    _ok(kanal("topic", "create", "tailed"))
    _ok(kanal("produce", "tailed", stdin="one\ntwo\nthree\n"))
    tail = subprocess.Popen(
        [sys.executable, "-m", "kanal.cli", "--bootstrap", cluster.bootstrap,
         "consume", "tailed", "--from-beginning"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert tail.stdout is not None
        assert [tail.stdout.readline() for _ in range(3)] == ["one\n", "two\n", "three\n"]
        tail.send_signal(signal.SIGTERM)
        _, stderr = tail.communicate(timeout=60)
    finally:
        if tail.poll() is None:
            tail.kill()
            tail.communicate()
    assert tail.returncode == 130
    assert stderr.strip() == "Processed a total of 3 messages"


def test_one_partition_from_an_offset(kanal: Kanal) -> None:
    _ok(kanal("topic", "create", "pinned", "--partitions", "2"))
    _ok(
        kanal(
            "produce",
            "pinned",
            "--partition",
            "1",
            "--acks",
            "1",
            "--compression",
            "zstd",
            stdin="a\nb\nc\n",
        )
    )
    consumed = _ok(
        kanal(
            "consume",
            "pinned",
            "--partition",
            "1",
            "--offset",
            "1",
            "--max-messages",
            "2",
            "--print-offset",
            "--timeout-ms",
            "30000",
        )
    )
    assert consumed.stdout.splitlines() == ["Partition:1\tOffset:1\tb", "Partition:1\tOffset:2\tc"]
    missing = kanal("consume", "pinned", "--partition", "7", "--max-messages", "1")
    assert missing.returncode == 1
    assert missing.stderr.strip().startswith("Error: [UnknownTopicOrPartition:3]")


def test_perf_tools_print_one_json_object(kanal: Kanal) -> None:
    _ok(kanal("topic", "create", "perf", "--partitions", "2", "--replication-factor", "2"))
    produced = _ok(
        kanal(
            "perf",
            "produce",
            "--topic",
            "perf",
            "--num-records",
            "3000",
            "--record-size",
            "100",
            "--acks",
            "all",
            "--json",
        )
    )
    figures = json.loads(produced.stdout)
    assert figures["records"] == 3000
    assert figures["records_per_sec"] > 0 and figures["mb_per_sec"] > 0
    latency = figures["latency_ms"]
    assert 0 <= latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["p999"]

    throttled = _ok(
        kanal(
            "perf",
            "produce",
            "--topic",
            "perf",
            "--num-records",
            "200",
            "--record-size",
            "10",
            "--throughput",
            "1000",
            "--linger-ms",
            "1",
            "--batch-size",
            "1024",
            "--compression",
            "lz4",
            "--json",
        )
    )
    assert json.loads(throttled.stdout)["records"] == 200

    consumed = _ok(
        kanal(
            "perf",
            "consume",
            "--topic",
            "perf",
            "--messages",
            "3200",
            "--json",
            "--timeout-ms",
            "30000",
        )
    )
    figures = json.loads(consumed.stdout)
    assert figures["records"] >= 3200
    assert figures["fetch_ms"] > 0 and figures["mb_per_sec"] > 0


def test_cluster_describe_lists_the_brokers(kanal: Kanal, cluster: DevCluster) -> None:
    described = _ok(kanal("cluster", "describe")).stdout
    assert "Cluster id: kanal" in described
    assert "controller-1" in described
    for broker in cluster.endpoints.brokers:
        assert str(broker.port) in described


def test_describing_an_unknown_topic_fails_in_one_line(kanal: Kanal) -> None:
    result = kanal("topic", "describe", "no-such-topic")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: [UnknownTopicOrPartition:3]")
