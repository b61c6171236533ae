"""DevCluster with the real etcd, controller and broker processes (and the `kanal dev` CLI)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kanal.devcluster import pytest_plugin
from kanal.devcluster.cluster import DevCluster
from kanal.devcluster.endpoints import ClusterEndpoints
from kanal.devcluster.health import HEALTH_SERVING, describe_cluster, health_status
from kanal.devcluster.process import pid_alive

pytestmark = pytest.mark.integration



def _all_gone(pids: list[int], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while any(pid_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(pid_alive(pid) for pid in pids)


def _pids(endpoints: ClusterEndpoints) -> list[int]:
    return [s.pid for s in endpoints.services if s.pid is not None]


def test_start_serves_then_stop_leaves_nothing_running(tmp_path: Path) -> None:
    cluster = DevCluster(
        tmp_path,
        brokers=2,
        controllers=1,
        base_broker_port=0,
        controller_port=0,
        etcd_port=0,
        racks=["r1", "r2"],
    )
    cluster.start()
    try:
        endpoints = cluster.endpoints
        assert len(_pids(endpoints)) == 4
        for broker in endpoints.brokers:
            assert health_status(broker.address) == HEALTH_SERVING
        described = describe_cluster(endpoints.controllers[0].address)
        assert described is not None
        assert described.active_controller.controller_id == "controller-1"
        assert sorted(b.rack for b in described.brokers) == ["r1", "r2"]
        assert (tmp_path / "broker-1").is_dir() and (tmp_path / "logs" / "broker-2.log").exists()
        assert json.loads(cluster.to_json())["bootstrap"] == cluster.bootstrap
    finally:
        cluster.stop()
    assert _all_gone(_pids(endpoints))


def test_fixture_cluster_survives_a_killed_broker(
    dev_cluster: pytest_plugin.DevClusterFactory,
) -> None:
    cluster = dev_cluster(brokers=2)
    cluster.kill("broker-2")
    deadline = time.monotonic() + 10
    while cluster.is_running("broker-2") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not cluster.is_running("broker-2")
    cluster.restart("broker-2")
    assert health_status(cluster.endpoints.brokers[1].address) == HEALTH_SERVING


def _kanal(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kanal.cli", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_detached_up_status_and_down(tmp_path: Path) -> None:
    data = str(tmp_path)
    started = _kanal(
        "dev", "up", "--detach", "--brokers", "1", "--base-port", "0", "--data-dir", data
    )
    assert started.returncode == 0, started.stderr
    endpoints = ClusterEndpoints.read(tmp_path / "cluster.json")
    try:
        assert f"bootstrap: {endpoints.bootstrap}" in started.stdout
        assert "kanal dev down" in started.stdout
        assert health_status(endpoints.brokers[0].address) == HEALTH_SERVING
        status = _kanal("dev", "status", "--data-dir", data)
        assert status.returncode == 0, status.stderr
        assert "SERVING" in status.stdout
    finally:
        stopped = _kanal("dev", "down", "--data-dir", data)
    assert stopped.returncode == 0, stopped.stderr
    assert endpoints.supervisor_pid is not None
    assert _all_gone([endpoints.supervisor_pid, *_pids(endpoints)])
    assert not (tmp_path / "cluster.json").exists()


def test_foreground_up_stops_everything_on_sigint(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "kanal.cli", "dev", "up", "--brokers", "1", "--base-port", "0",
         "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("bootstrap:"):
                break
        endpoints = ClusterEndpoints.read(tmp_path / "cluster.json")
        os.kill(process.pid, signal.SIGINT)
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert _all_gone(_pids(endpoints))
    assert not (tmp_path / "cluster.json").exists()
