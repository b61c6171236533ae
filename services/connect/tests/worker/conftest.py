"""Fixtures of the worker tests: a dev cluster (one broker) and connect workers on it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kanal.devcluster.pytest_plugin import DevClusterFactory

sys.path.insert(0, str(Path(__file__).parent))

from worker_process import WorkerProcess

WorkerFactory = Callable[..., WorkerProcess]


@pytest.fixture
def cluster_bootstrap(dev_cluster: DevClusterFactory) -> str:
    return dev_cluster(brokers=1).bootstrap


@pytest.fixture
def connect_worker(cluster_bootstrap: str, tmp_path: Path) -> Iterator[WorkerFactory]:
    started: list[WorkerProcess] = []

    def start(*extra: str) -> WorkerProcess:
        worker = WorkerProcess(cluster_bootstrap, tmp_path / f"worker-{len(started)}.log",
                               extra=extra)
        started.append(worker)
        return worker.start()

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
