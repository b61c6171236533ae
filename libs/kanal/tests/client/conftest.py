"""A real cluster (etcd, one controller, brokers as child processes) shared by the tests of a
module, and fresh topics on it for each test."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kanal import Admin, NewTopic
from kanal.devcluster.cluster import DevCluster
from kanal.errors import InvalidReplicationFactor

_names = itertools.count()

TopicFactory = Callable[..., str]


def start_cluster(data_dir: Path, brokers: int = 1) -> DevCluster:
    cluster = DevCluster(
        data_dir, brokers=brokers, controllers=1, base_broker_port=0, controller_port=0,
        etcd_port=0, grace_s=5.0, session_timeout_ms=3000,
    )
    cluster.start()
    _wait_until_topics_can_be_placed(cluster, brokers)
    return cluster


def _wait_until_topics_can_be_placed(cluster: DevCluster, brokers: int) -> None:
    """DevCluster waits for DescribeCluster to list the brokers, but the controller's
    placement may see them a moment later; a validate-only create tells when it does."""
    deadline = time.monotonic() + 20
    with Admin(bootstrap_servers=cluster.bootstrap) as admin:
        while True:
            try:
                admin.create_topics([NewTopic("probe", 1, brokers)], validate_only=True)
                return
            except InvalidReplicationFactor:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevCluster]:
    running = start_cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def two_brokers(tmp_path: Path) -> Iterator[DevCluster]:
    """A cluster of its own for tests that stop brokers."""
    running = start_cluster(tmp_path / "cluster", brokers=2)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def bootstrap(cluster: DevCluster) -> str:
    return cluster.bootstrap


@pytest.fixture
def new_topic(bootstrap: str, request: pytest.FixtureRequest) -> TopicFactory:
    """Create a topic named after the test: `new_topic(partitions=3, configs={...})`."""

    def create(partitions: int = 3, configs: dict[str, str] | None = None) -> str:
        base = request.node.name.replace("[", "-").replace("]", "").replace("_", "-")[:60]
        name = f"{base}-{next(_names)}"
        with Admin(bootstrap_servers=bootstrap) as admin:
            admin.create_topics([NewTopic(name, partitions, 1, topic_configs=configs or {})])
        return name

    return create
