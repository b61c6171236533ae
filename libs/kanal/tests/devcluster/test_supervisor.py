from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest
from kanal.devcluster.endpoints import ClusterEndpoints, ServiceEndpoint
from kanal.devcluster.process import pid_alive
from kanal.devcluster.supervisor import running_cluster, spawn_detached, stop_published
from kanal.errors import ConfigurationError

# Stands in for `kanal dev up` run by the detached supervisor: one service in its own
# session, cluster.json published, then it serves until signalled.
FAKE_SUPERVISOR = textwrap.dedent("""
    import os, subprocess, sys, time
    from pathlib import Path
    from kanal.devcluster.endpoints import ClusterEndpoints, ServiceEndpoint
    data = Path(sys.argv[1])
    child = subprocess.Popen(["sleep", "60"], start_new_session=True)
    service = ServiceEndpoint("broker-1", "broker", "127.0.0.1", 1, pid=child.pid)
    ClusterEndpoints("fake", str(data), (service,), os.getpid()).write(data / "cluster.json")
    time.sleep(60)
""")


def _reap(pid: int) -> None:
    """The spawned supervisor is this test's child: collect its exit status."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished:
            return
        time.sleep(0.02)


def test_detached_supervisor_is_found_then_stopped_with_its_services(tmp_path: Path) -> None:
    endpoints = spawn_detached(["-c", FAKE_SUPERVISOR, str(tmp_path)], tmp_path, timeout_s=20)
    supervisor = endpoints.supervisor_pid
    service_pid = endpoints.services[0].pid
    assert supervisor is not None and service_pid is not None
    try:
        assert running_cluster(tmp_path) == endpoints
        with pytest.raises(ConfigurationError, match="already runs"):
            spawn_detached(["-c", FAKE_SUPERVISOR, str(tmp_path)], tmp_path, timeout_s=20)
        stop_published(tmp_path, timeout_s=10)
        # The fake supervisor dies of SIGTERM without stopping its service: dev down kills it.
        assert not pid_alive(supervisor)
        deadline = time.monotonic() + 5
        while pid_alive(service_pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not pid_alive(service_pid)
        assert not (tmp_path / "cluster.json").exists()
    finally:
        _reap(supervisor)


def test_supervisor_that_fails_to_start_reports_its_log(tmp_path: Path) -> None:
    failing = "import sys; print('etcd would not start'); sys.exit(3)"
    with pytest.raises(ConfigurationError, match="exit code 3") as raised:
        spawn_detached(["-c", failing], tmp_path, timeout_s=20)
    assert "etcd would not start" in str(raised.value)


def test_a_stale_cluster_file_is_not_a_running_cluster(tmp_path: Path) -> None:
    dead = ServiceEndpoint("broker-1", "broker", "127.0.0.1", 1, pid=None)
    # pid 2**22 + 1 is above the default pid_max on Linux: never a live process.
    ClusterEndpoints("x", str(tmp_path), (dead,), 2**22 + 1).write(tmp_path / "cluster.json")
    assert running_cluster(tmp_path) is None
    assert stop_published(tmp_path, timeout_s=1).cluster_id == "x"
    assert not (tmp_path / "cluster.json").exists()


def test_stopping_without_a_cluster_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no dev cluster"):
        stop_published(tmp_path, timeout_s=1)
