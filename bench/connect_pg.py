"""Shared set-up of the connect benches: a PostgreSQL server (the tests' helper), a dev
cluster with one topic, and a connect worker process (`python -m kanal_connect`) whose CPU
time is read from /proc, so a figure can be given as CPU per record as well as records/s
(wall-clock rates are noisy on a shared machine; CPU per record is not)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kanal import Admin, NewTopic
from kanal.devcluster.cluster import DevCluster
from kanal.errors import InvalidReplicationFactor

sys.path.insert(0, str(Path(__file__).parents[1] / "services/connect/tests/connectors"))

from pg_server import Database, PostgresServer
from worker_launcher import Worker, rest

__all__ = ["Database", "PostgresServer", "Worker", "create_connector", "create_topic",
           "measure_progress", "new_database", "process_cpu_s", "profiled", "start_cluster",
           "start_worker"]

def start_cluster(data_dir: Path) -> DevCluster:
    cluster = DevCluster(data_dir, brokers=1, controllers=1, base_broker_port=0,
                         controller_port=0, etcd_port=0, grace_s=5.0)
    cluster.start()
    return cluster


def create_topic(bootstrap: str, topic: str, partitions: int = 1) -> None:
    # A just-started controller may list the broker a moment before it places replicas on it.
    deadline = time.monotonic() + 20
    with Admin(bootstrap_servers=bootstrap) as admin:
        while True:
            try:
                admin.create_topics([NewTopic(topic, partitions, 1)])
                return
            except InvalidReplicationFactor:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


def new_database(server: PostgresServer, name: str) -> Database:
    import psycopg

    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}".encode())
    return Database(server, name)


def start_worker(bootstrap: str, log_path: Path, flush_interval_ms: int = 1000) -> Worker:
    """`flush_interval_ms`: offset.flush.interval, how often a source stores offsets (a
    pause: it waits for every acknowledgement) and a sink runs `pre_commit`."""
    worker = Worker(bootstrap, log_path, flush_interval_ms)
    worker.start()
    return worker


def create_connector(worker: Worker, name: str, config: dict[str, str]) -> None:
    status, body = rest(worker.url + "/connectors", "POST", {"name": name, "config": config})
    if status != 201:
        raise RuntimeError(f"connector {name} refused: {status} {body}")


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/<pid>/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Progress:
    """From the first progress seen to the target: the steady-state part of a run (the
    worker's start, the rebalance and the connector's start are left out)."""

    records: int
    seconds: float
    cpu_s: float

    def as_dict(self, unit: str) -> dict[str, float]:
        return {unit: float(self.records), "seconds": self.seconds,
                f"{unit}_per_sec": self.records / self.seconds,
                "worker_cpu_us_per_record": self.cpu_s / self.records * 1e6,
                f"{unit}_per_worker_cpu_sec": self.records / self.cpu_s}


def measure_progress(pid: int, done: Callable[[], int], target: int,
                     timeout_s: float = 600) -> Progress:
    """Polls `done()` (records handled so far) until it reaches `target`."""
    deadline = time.monotonic() + timeout_s
    first: tuple[int, float, float] | None = None
    while time.monotonic() < deadline:
        count = done()
        now, cpu = time.perf_counter(), process_cpu_s(pid)
        if count > 0 and first is None:
            first = (count, now, cpu)
        if count >= target and first is not None:
            return Progress(count - first[0], now - first[1], cpu - first[2])
        time.sleep(0.05)
    raise TimeoutError(f"{done()} of {target} records after {timeout_s} s")


@contextlib.contextmanager
def profiled(pid: int, output: str | None) -> Iterator[None]:
    """py-spy samples the worker while the block runs (collapsed stacks into `output`, one
    `frame;frame;... count` line per stack), when `output` is given."""
    if output is None:
        yield
        return
    binary = Path(sys.executable).parent / "py-spy"
    if not binary.exists():
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    spy = subprocess.Popen([str(binary), "record", "--pid",
                            str(pid), "--format", "raw", "--rate", "200", "-o", output],
                           stdout=subprocess.DEVNULL)
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
