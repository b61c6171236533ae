"""Every dashboard query returns data from a live cluster under load: a dev cluster (etcd,
2 controllers, 3 brokers, a schema registry and a connect worker as processes), a real
Prometheus scraping their /metrics, records produced and consumed through the `kanal`
command line, schemas registered (and a lookup refused) through the registry's REST API, a
FileStream source and sink connector moving lines through a topic, and a few refused
requests so the error panels have series. Only the consumer-group panels may be empty:
those metrics come with consumer groups."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import grpc
import pytest
from kanal.devcluster.cluster import DevCluster
from kanal.v1 import broker_pb2, broker_pb2_grpc

from .chart_render import CHART
from .code_contract import PLANNED_METRIC_NAMES
from .prometheus_server import PrometheusServer
from .promql import metric_names

pytestmark = [pytest.mark.integration]

TOPIC = "dashboard-load"
# Grafana's variables as "All" and its rate window, for a Prometheus scraping every second.
SUBSTITUTIONS = {"$__rate_interval": "15s", "$topic": ".*", "$instance": ".*", "$group": ".*",
                 "$connector": ".*"}
CONNECT_TOPIC = "connect-lines"
# The FileStream connectors (they ship with kanal_connect) as plugins of the dev worker.
PLUGIN_MODULES = ("kanal_connect.connectors.filestream.source,"
                  "kanal_connect.connectors.filestream.sink")


def _http(method: str, url: str, body: Any = None) -> int:
    """The HTTP status of a JSON request (errors included)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def _start_connectors(connect_url: str, workdir: Path) -> Path:
    """A source reading `lines.txt` into CONNECT_TOPIC and a sink writing it back out;
    returns the file the load appends to."""
    lines = workdir / "lines.txt"
    lines.write_text("")
    for name, config in (
        ("lines-in", {"connector.class": "FileStreamSource", "file": str(lines),
                      "topic": CONNECT_TOPIC}),
        ("lines-out", {"connector.class": "FileStreamSink", "topics": CONNECT_TOPIC,
                       "file": str(workdir / "lines-out.txt")}),
    ):
        status = _http("POST", f"{connect_url}/connectors", {"name": name, "config": config})
        assert status == 201, f"creating connector {name}: HTTP {status}"
    return lines


def _kanal(bootstrap: str, *args: str,
           stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kanal.cli", "--bootstrap", bootstrap, *args],
                          input=stdin, capture_output=True, text=True, timeout=120, check=False)


def _panel_queries() -> list[tuple[str, str, str]]:
    queries = []
    for path in sorted((CHART / "dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text())
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                expression = target["expr"]
                for variable, value in SUBSTITUTIONS.items():
                    expression = expression.replace(variable, value)
                queries.append((path.stem, panel["title"], expression))
    return queries


def _refused_requests(cluster: DevCluster) -> None:
    """One refused request per service, so the error panels have series."""
    created = _kanal(cluster.bootstrap, "topic", "create", TOPIC, "--partitions", "3")
    assert created.returncode != 0, "creating an existing topic must be refused"
    with grpc.insecure_channel(cluster.endpoints.brokers[0].address) as channel:
        fetch = broker_pb2.FetchRequest(replica_id=-1, max_wait_ms=0, max_bytes=1024, topics=[
            broker_pb2.FetchTopic(topic="no-such-topic",
                                  partitions=[broker_pb2.FetchPartition(partition=0)])])
        broker_pb2_grpc.BrokerStub(channel).Fetch(fetch, timeout=10)


class _Load(threading.Thread):
    """Every second until stopped: produces and consumes a batch of records, registers a
    schema version and looks up a missing subject, and appends lines for the source
    connector."""

    def __init__(self, bootstrap: str, registry_url: str, lines: Path) -> None:
        super().__init__(name="dashboard-load", daemon=True)
        self.bootstrap = bootstrap
        self.registry_url = registry_url
        self.lines = lines
        self.stopping = threading.Event()
        self.failures: list[str] = []
        self.rounds = 0

    def run(self) -> None:
        records = "".join(f"record-{i}\n" for i in range(200))
        while not self.stopping.is_set():
            for args, stdin in ((("produce", TOPIC), records),
                                (("consume", TOPIC, "--from-beginning", "--max-messages", "200",
                                  "--timeout-ms", "10000"), None)):
                result = _kanal(self.bootstrap, *args, stdin=stdin)
                if result.returncode != 0:
                    self.failures.append(result.stderr[-2000:])
            self._registry_round()
            with self.lines.open("a") as lines:
                lines.writelines(f"line {self.rounds}-{i}\n" for i in range(50))
            self.rounds += 1
            self.stopping.wait(1)

    def _registry_round(self) -> None:
        # A new field with a default each round: a new, BACKWARD-compatible version.
        fields = [{"name": f"f{i}", "type": "int", "default": 0} for i in range(self.rounds)]
        schema = {"type": "record", "name": "Load", "fields": fields}
        status = _http("POST", f"{self.registry_url}/subjects/load-value/versions",
                       {"schema": json.dumps(schema)})
        if status != 200:
            self.failures.append(f"registering a schema: HTTP {status}")
        if _http("GET", f"{self.registry_url}/subjects/no-such-subject/versions") != 404:
            self.failures.append("a missing subject must answer 404")


def test_every_panel_query_returns_data(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KANAL_CONNECT_PLUGIN_MODULE", PLUGIN_MODULES)  # the worker's env
    with DevCluster(tmp_path / "cluster", brokers=3, controllers=2, base_broker_port=0,
                    controller_port=0, etcd_port=0, registries=1, connect_workers=1,
                    registry_port=0, connect_port=0) as cluster:
        created = _kanal(cluster.bootstrap, "topic", "create", TOPIC, "--partitions", "3",
                         "--replication-factor", "3")
        assert created.returncode == 0, created.stderr
        endpoints = cluster.endpoints
        assert endpoints.registry_url and endpoints.connect_url
        jobs = {kind: [f"{s.host}:{s.metrics_port}" for s in endpoints.of_kind(kind)]
                for kind in ("broker", "controller", "registry", "connect")}
        lines = _start_connectors(endpoints.connect_url, tmp_path)
        load = _Load(cluster.bootstrap, endpoints.registry_url, lines)
        load.start()
        try:
            _refused_requests(cluster)
            with PrometheusServer(tmp_path / "prometheus", jobs) as prometheus:
                empty = _wait_for_data(prometheus, deadline=time.monotonic() + 90)
        finally:
            load.stopping.set()
            load.join(timeout=60)
        assert not load.failures, load.failures[:3]
        assert load.rounds >= 2
        assert not empty, "panels without data:\n" + "\n".join(
            f"  {dashboard} / {title}: {expression}" for dashboard, title, expression in empty)


def _wait_for_data(prometheus: PrometheusServer, deadline: float) -> list[tuple[str, str, str]]:
    """The queries still empty at the deadline (consumer-group ones excluded)."""
    pending = [query for query in _panel_queries()
               if not metric_names(query[2]) <= PLANNED_METRIC_NAMES]
    assert len(pending) > 20
    while True:
        pending = [query for query in pending if not _has_values(prometheus, query[2])]
        if not pending or time.monotonic() > deadline:
            return pending
        time.sleep(2)


def _has_values(prometheus: PrometheusServer, expression: str) -> bool:
    """Some series with a real number (a histogram quantile over no requests is NaN)."""
    return any(sample["value"][1] not in ("NaN", "+Inf", "-Inf")
               for sample in prometheus.query(expression))
