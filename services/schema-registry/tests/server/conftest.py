"""One dev cluster and one registry process per test module (tests use their own subjects)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kanal.devcluster.cluster import DevCluster

from .registry_process import RegistryProcess


@pytest.fixture(scope="module")
def registry_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevCluster]:
    cluster = DevCluster(tmp_path_factory.mktemp("registry-cluster"), brokers=1, controllers=1,
                         base_broker_port=0, controller_port=0, etcd_port=0, grace_s=5.0)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def registry(registry_cluster: DevCluster,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryProcess]:
    log_path = tmp_path_factory.mktemp("registry") / "registry.log"
    process = RegistryProcess.start(registry_cluster, log_path)
    try:
        yield process
    finally:
        assert process.stop(grace_s=30) == 0, log_path.read_text()[-3000:]
