"""The `dev_cluster` pytest fixture: a factory of real dev clusters on free loopback ports.

Register it once in the repository's root conftest.py:

    pytest_plugins = ["kanal.devcluster.pytest_plugin"]

then in any test:

    def test_something(dev_cluster: DevClusterFactory) -> None:
        cluster = dev_cluster(brokers=3)           # started and serving
        producer = Producer(bootstrap_servers=cluster.bootstrap)
        cluster.kill("broker-2"); cluster.restart("broker-2")

        cluster = dev_cluster(registries=1)        # plus a schema registry: cluster.registry_url
        cluster = dev_cluster(connect_workers=1)   # plus a connect worker: cluster.connect_url

Every cluster the factory started is stopped when the test ends (children SIGTERMed, then
SIGKILLed after the grace period), pass or fail. `registry_cluster` is one cluster with a
schema registry shared by a whole test module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from kanal.devcluster.cluster import DevCluster
from kanal.devcluster.ports import PORT_RANGE_ENV

# Ports below the kernel's default ephemeral range (32768-60999), split between parallel test
# processes so that two of them never hand the same free port to their children.
_TEST_PORTS = range(20000, 32768)


class DevClusterFactory(Protocol):
    def __call__(self, **options: Any) -> DevCluster:
        """Start a cluster; `options` are DevCluster's keywords (brokers=, controllers=,
        racks=, session_timeout_ms=, registries=, connect_workers=, ...). Ports default to
        free ones; registries and connect workers to none, so clusters start fast."""
        ...


_FREE_PORTS = {
    "base_broker_port": 0,
    "controller_port": 0,
    "etcd_port": 0,
    "registry_port": 0,
    "connect_port": 0,
}


def pytest_configure(config: pytest.Config) -> None:
    """Give each pytest-xdist worker its own slice of `_TEST_PORTS` (see ports.py)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0") or 0)
    if not worker.startswith("gw") or count < 1 or PORT_RANGE_ENV in os.environ:
        return
    size = len(_TEST_PORTS) // count
    low = _TEST_PORTS.start + int(worker[2:]) * size
    os.environ[PORT_RANGE_ENV] = f"{low}-{low + size - 1}"


@pytest.fixture
def dev_cluster(tmp_path: Path) -> Iterator[DevClusterFactory]:
    """Start dev clusters for one test (1 controller + 1 broker unless told otherwise)."""
    started: list[DevCluster] = []

    def start(**options: Any) -> DevCluster:
        settings = {"brokers": 1, "controllers": 1, "grace_s": 5.0, **_FREE_PORTS, **options}
        cluster = DevCluster(tmp_path / f"dev-cluster-{len(started)}", **settings)
        cluster.start()
        started.append(cluster)
        return cluster

    try:
        yield start
    finally:
        for cluster in reversed(started):
            cluster.stop()


@pytest.fixture(scope="module")
def registry_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevCluster]:
    """One broker and one schema registry shared by a test module (`.registry_url`,
    `.bootstrap`); tests keep apart by using their own subject and topic names."""
    cluster = DevCluster(
        tmp_path_factory.mktemp("registry-cluster"),
        brokers=1,
        controllers=1,
        registries=1,
        grace_s=5.0,
        base_broker_port=0,
        controller_port=0,
        etcd_port=0,
        registry_port=0,
    )
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
