"""`kanal dev ...` without a running cluster: the paths a new user hits first."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner
from kanal.cli.dev import UpRequest, up
from kanal.cli.main import cli


def _kanal(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kanal.cli", *args],
        check=False, capture_output=True, text=True, timeout=60,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_up_without_etcd_prints_the_install_command_and_exits_2(tmp_path: Path) -> None:
    result = _kanal(
        "dev", "up", "--data-dir", str(tmp_path), env={"KANAL_ETCD": str(tmp_path / "no-etcd-here")}
    )
    assert result.returncode == 2
    assert "apt-get install etcd-server" in result.stderr
    assert "scripts/setup.sh" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "cluster.json").exists()


def test_up_on_a_taken_port_suggests_base_port(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _kanal("dev", "up", "--data-dir", str(tmp_path), "--base-port", str(port))
    assert result.returncode == 1
    assert "--base-port" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 2  # "starting ..." and the error
    assert "Traceback" not in result.stderr


def test_status_and_down_without_a_cluster_fail_in_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    for command in ("status", "down"):
        result = runner.invoke(cli, ["dev", command, "--data-dir", str(tmp_path)])
        assert result.exit_code == 1
        assert result.stderr.startswith("Error: ")
        assert len(result.stderr.strip().splitlines()) == 1


def test_detached_supervisor_argv_parses_back_to_the_same_request(tmp_path: Path) -> None:
    request = UpRequest(
        brokers=2, controllers=3, data_dir=tmp_path, detach=True, racks="a,b", base_port=0,
        cluster_id="c1", session_timeout_ms=3000, timeout_s=12.5,
    )  # fmt: skip
    argv = request.foreground_argv()
    assert argv[:4] == ["-m", "kanal.cli", "dev", "up"]
    context = up.make_context("up", argv[4:])
    assert UpRequest(**context.params) == replace(request, detach=False)
