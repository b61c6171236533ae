"""The `helm test` pod's script, run as it is rendered, against a local dev cluster with a
schema registry and a connect worker: the same `kanal` commands, pointed by the same
environment variables at the local services instead of the release's Services."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from kanal.devcluster.cluster import DevCluster

from .chart_render import container, render

pytestmark = pytest.mark.integration


def test_the_helm_test_script_passes_against_a_live_cluster(tmp_path: Path) -> None:
    pod = container(render("defaults").component("Pod", "test"), "kanal")
    shell, flag, script = pod["command"]
    assert (shell, flag) == ("/bin/sh", "-c")
    rendered_env = {v["name"]: v["value"] for v in pod["env"]}
    with DevCluster(tmp_path / "cluster", brokers=1, controllers=1, base_broker_port=0,
                    controller_port=0, etcd_port=0, registries=1, connect_workers=1,
                    registry_port=0, connect_port=0) as cluster:
        endpoints = cluster.endpoints
        env = {
            **os.environ,
            # The venv's `kanal`, as the cli image has it on PATH.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            **rendered_env,
            "KANAL_BOOTSTRAP": cluster.bootstrap,
            "REPLICATION_FACTOR": "1",
            "KANAL_SCHEMA_REGISTRY_URL": endpoints.registry_url or "",
            "KANAL_CONNECT_URL": endpoints.connect_url or "",
        }
        assert set(rendered_env) <= set(env)
        result = subprocess.run([shell, flag, script], env=env, capture_output=True, text=True,
                                timeout=240, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert f"produced and consumed {rendered_env['RECORDS']} records" in result.stdout
    assert "schema id" in result.stdout
