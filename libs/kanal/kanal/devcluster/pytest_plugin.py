"""The `dev_cluster` pytest fixture: a factory of real dev clusters on free loopback ports.

Register it once in the repository's root conftest.py:

    pytest_plugins = ["kanal.devcluster.pytest_plugin"]

then in any test:

    def test_something(dev_cluster: DevClusterFactory) -> None:
        cluster = dev_cluster(brokers=3)           # started and serving
        producer = Producer(bootstrap_servers=cluster.bootstrap)
        cluster.kill("broker-2"); cluster.restart("broker-2")

Every cluster the factory started is stopped when the test ends (children SIGTERMed, then
SIGKILLed after the grace period), pass or fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from kanal.devcluster.cluster import DevCluster


class DevClusterFactory(Protocol):
    def __call__(self, **options: Any) -> DevCluster:
        """Start a cluster; `options` are DevCluster's keywords (brokers=, controllers=,
        racks=, session_timeout_ms=, ...). Ports default to free ones."""
        ...


_FREE_PORTS = {"base_broker_port": 0, "controller_port": 0, "etcd_port": 0}


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
