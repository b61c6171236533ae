"""`kanal connect ...` against a real connect worker (one broker, one worker that loads the
test connector in connect_plugins/cli_tick.py): every subcommand, the worker's error codes,
exit codes."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from kanal import Admin, NewTopic
from kanal.cli.main import cli
from kanal.devcluster.cluster import DevCluster

pytestmark = pytest.mark.integration

PLUGINS = Path(__file__).parent / "connect_plugins"


@pytest.fixture(scope="module")
def connect_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevCluster]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KANAL_CONNECT_PLUGIN_MODULE", "cli_tick")
        env.setenv("PYTHONPATH", os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")]))
        cluster = DevCluster(
            tmp_path_factory.mktemp("connect-cli"), brokers=1, connect_workers=1,
            base_broker_port=0, controller_port=0, etcd_port=0, connect_port=0, grace_s=5.0,
        )  # fmt: skip
        cluster.start()
    try:
        with Admin(bootstrap_servers=cluster.bootstrap) as admin:
            admin.create_topics([NewTopic("ticks", 1, 1)])
        yield cluster
    finally:
        cluster.stop()


def kanal(cluster: DevCluster, *args: str) -> Result:
    return CliRunner().invoke(cli, ["connect", "--connect-url", cluster.connect_url, *args])


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.stderr, result.exception)
    return result.stdout


def wait_for_state(cluster: DevCluster, name: str, state: str, *, with_task: bool = True) -> str:
    """Poll `kanal connect status` until the connector (and its task) show `state`."""
    deadline = time.monotonic() + 60
    while True:
        shown = ok(kanal(cluster, "status", name))
        rows = [line.split() for line in shown.splitlines()[2:]]
        states = {row[0]: row[-2] for row in rows if row[0] in ("connector", "task")}
        if states.get("connector") == state and (not with_task or states.get("task") == state):
            return shown
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} not {state} after 60s:\n{shown}")
        time.sleep(0.5)


def test_plugins_list_the_worker_s_connectors(connect_cluster: DevCluster) -> None:
    table = ok(kanal(connect_cluster, "plugins")).splitlines()
    assert table[0].split() == ["CLASS", "TYPE", "VERSION"]
    assert any(row.split()[:2] == ["CliTickSource", "source"] for row in table[1:])


def test_a_connector_s_life(connect_cluster: DevCluster, tmp_path: Path) -> None:
    created = kanal(
        connect_cluster, "create", "ticker", "--config", "connector.class=CliTickSource",
        "--config", "topic=ticks", "--config", "tasks.max=1",
    )  # fmt: skip
    assert ok(created).startswith("Created connector ticker")
    assert ok(kanal(connect_cluster, "list")) == "ticker\n"
    shown = wait_for_state(connect_cluster, "ticker", "RUNNING")
    assert shown.startswith("ticker (source)\n")
    table = ok(kanal(connect_cluster, "list", "--status"))
    assert table.splitlines()[1].split()[:4] == ["ticker", "source", "RUNNING", "1/1"]

    assert ok(kanal(connect_cluster, "pause", "ticker")) == "Pausing ticker.\n"
    wait_for_state(connect_cluster, "ticker", "PAUSED")
    assert ok(kanal(connect_cluster, "resume", "ticker")) == "Resuming ticker.\n"
    wait_for_state(connect_cluster, "ticker", "RUNNING")
    ok(kanal(connect_cluster, "restart", "ticker", "--include-tasks"))
    ok(kanal(connect_cluster, "restart", "ticker", "--task", "0"))
    wait_for_state(connect_cluster, "ticker", "RUNNING")

    deadline = time.monotonic() + 30
    while True:
        offsets = json.loads(ok(kanal(connect_cluster, "offsets", "ticker")))
        if offsets.get("offsets") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert offsets["offsets"][0]["partition"] == {"source": "tick"}

    refused = kanal(connect_cluster, "offsets", "ticker", "--reset")
    assert refused.exit_code == 1  # offsets change only while the connector is STOPPED
    assert refused.stderr.startswith("Error: [")
    assert ok(kanal(connect_cluster, "stop", "ticker")) == "Stopping ticker.\n"
    wait_for_state(connect_cluster, "ticker", "STOPPED", with_task=False)
    ok(kanal(connect_cluster, "offsets", "ticker", "--reset"))
    assert json.loads(ok(kanal(connect_cluster, "offsets", "ticker"))) == {"offsets": []}

    assert ok(kanal(connect_cluster, "delete", "ticker")) == "Deleted connector ticker.\n"
    assert ok(kanal(connect_cluster, "list")) == ""


def test_create_from_a_file(connect_cluster: DevCluster, tmp_path: Path) -> None:
    spec = tmp_path / "ticker.json"
    config = {"connector.class": "CliTickSource", "topic": "ticks"}
    spec.write_text(json.dumps({"name": "from-file", "config": config}))
    ok(kanal(connect_cluster, "create", "--config-file", str(spec), "--initial-state", "paused"))
    # Created paused, the worker may start no task yet: the connector's state is the answer.
    wait_for_state(connect_cluster, "from-file", "PAUSED", with_task=False)
    ok(kanal(connect_cluster, "delete", "from-file"))


def test_refusals_print_the_worker_s_code_and_exit_1(connect_cluster: DevCluster) -> None:
    missing = kanal(connect_cluster, "status", "nobody")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: [404] ")
    bad = kanal(connect_cluster, "create", "bad", "--config", "connector.class=NoSuchThing")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("Error: [")
    assert "NoSuchThing" in bad.stderr
    usage = kanal(connect_cluster, "create", "--config", "topic=x")
    assert usage.exit_code == 2


def test_an_unreachable_worker() -> None:
    result = CliRunner().invoke(cli, ["connect", "--connect-url", "http://127.0.0.1:9", "list"])
    assert result.exit_code == 1
    assert "cannot reach the connect worker at http://127.0.0.1:9" in result.stderr
    assert "KANAL_CONNECT_URL" in result.stderr
