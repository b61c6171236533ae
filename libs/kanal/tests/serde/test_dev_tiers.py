"""Registry and connect tiers of the dev cluster: port plans, and `kanal dev up` starting,
showing and stopping a registry (the process tests use free ports)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kanal.devcluster.endpoints import ClusterEndpoints
from kanal.devcluster.health import http_ready
from kanal.devcluster.plan import ClusterShape, connect_argv, plan_cluster, registry_argv
from kanal.devcluster.pytest_plugin import DevClusterFactory
from kanal.devcluster.supervisor import cluster_file
from kanal.errors import ConfigurationError


def free_shape(**options: Any) -> ClusterShape:
    """A shape on free ports (the documented ports may be in use on this machine)."""
    return ClusterShape(base_broker_port=0, controller_port=0, etcd_port=0, **options)


def test_free_plan_gives_http_tiers_distinct_rest_grpc_and_metrics_ports() -> None:
    shape = free_shape(brokers=1, registries=2, connect_workers=2, registry_port=0, connect_port=0)
    plan = plan_cluster(shape)
    services = [plan.etcd, *plan.controllers, *plan.brokers, *plan.registries,
                *plan.connect_workers]  # fmt: skip
    ports = [s.port for s in services] + [plan.etcd_peer_port]
    ports += [p for s in services for p in (s.metrics_port, s.grpc_port) if p is not None]
    assert len(ports) == len(set(ports)) == 1 + 1 + 2 * 2 + 3 * 4
    assert [r.name for r in plan.registries] == ["registry-1", "registry-2"]
    assert plan.connect_workers[1].url.startswith("http://127.0.0.1:")


def test_command_lines_follow_the_contract() -> None:
    shape = free_shape(brokers=2, registries=1, connect_workers=1, registry_port=0,
                       connect_port=0, cluster_id="c9")  # fmt: skip
    plan = plan_cluster(shape)
    registry = registry_argv(shape, plan, plan.registries[0])
    assert registry[1:3] == ["-m", "kanal_registry"]
    flags = dict(zip(registry[3::2], registry[4::2], strict=True))
    assert flags["--bootstrap"] == ",".join(b.address for b in plan.brokers)
    assert flags["--grpc-port"] == str(plan.registries[0].grpc_port)
    assert flags["--cluster-id"] == "c9"
    worker = connect_argv(shape, plan, plan.connect_workers[0])
    flags = dict(zip(worker[3::2], worker[4::2], strict=True))
    assert worker[1:3] == ["-m", "kanal_connect"]
    assert flags["--schema-registry-url"] == plan.registries[0].url
    assert flags["--worker-id"] == "connect-1"


def test_a_taken_registry_port_names_the_way_out() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigurationError, match="--registries 0"):
            plan_cluster(free_shape(brokers=1, registries=1, registry_port=port))


def _kanal(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kanal.cli", *args],
        check=False, capture_output=True, text=True, timeout=180, env=dict(os.environ),
    )  # fmt: skip


@pytest.mark.integration
def test_dev_up_starts_a_registry_that_status_and_down_handle(tmp_path: Path) -> None:
    data = str(tmp_path / "dev")
    up = _kanal("dev", "up", "--detach", "--brokers", "1", "--registries", "1",
                "--connect-workers", "0", "--base-port", "0", "--data-dir", data)  # fmt: skip
    try:
        assert up.returncode == 0, up.stderr
        endpoints = ClusterEndpoints.read(cluster_file(Path(data)))
        url = endpoints.registry_url
        assert url is not None and f"schema registry: {url}" in up.stdout
        assert "export KANAL_SCHEMA_REGISTRY_URL=" in up.stdout
        schema_list = subprocess.run(
            [sys.executable, "-m", "kanal.cli", "schema", "--registry-url", url, "list"],
            check=False, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert schema_list.returncode == 0, schema_list.stderr
        status = _kanal("dev", "status", "--data-dir", data)
        assert status.returncode == 0, status.stderr
        registry_row = next(line for line in status.stdout.splitlines() if "registry-1" in line)
        assert registry_row.split()[-2:] == ["running", "ready"]
    finally:
        down = _kanal("dev", "down", "--data-dir", data)
    assert down.returncode == 0, down.stderr
    assert not cluster_file(Path(data)).exists()


@pytest.mark.integration
def test_the_fixture_starts_a_registry_on_request_and_restarts_it(
    dev_cluster: DevClusterFactory,
) -> None:
    cluster = dev_cluster(registries=1)
    assert http_ready(cluster.registry_url)
    with pytest.raises(ConfigurationError, match="connect_workers=0"):
        _ = cluster.connect_url
    cluster.kill("registry-1")
    cluster.restart("registry-1")  # returns once GET / answers again
    assert cluster.is_running("registry-1")
    assert http_ready(cluster.registry_url)
