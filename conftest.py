"""Fixtures shared by every test folder: a real etcd server on free loopback ports."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from kanal.devcluster.etcd import EtcdProcess
from kanal.meta.etcd import Etcd
from kanal.types import HostPort

# `dev_cluster(brokers=3, ...)`: a started DevCluster on free ports, stopped at teardown.
pytest_plugins = ["kanal.devcluster.pytest_plugin"]


@pytest.fixture
def etcd(tmp_path: Path) -> Iterator[EtcdProcess]:
    """A fresh single-member etcd for one test; `etcd.endpoint` is `host:port`."""
    server = EtcdProcess(data_dir=tmp_path / "etcd")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def etcd_client(etcd: EtcdProcess) -> AsyncIterator[Etcd]:
    """A typed etcd client connected to the `etcd` fixture's server."""
    client = Etcd([HostPort.parse(etcd.endpoint)], timeout_s=5)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture(autouse=True)
def no_leaked_client_threads() -> Iterator[None]:
    """Fail a test that leaves a sync client (Producer, Consumer, Admin) open: its loop
    thread would keep retrying against whatever it pointed at, long after the test."""
    before = {t.ident for t in threading.enumerate()}
    yield

    def leaked() -> list[str]:
        return [t.name for t in threading.enumerate()
                if t.ident not in before and t.name.startswith("kanal-") and t.is_alive()]

    deadline = time.monotonic() + 5
    while leaked() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not leaked(), f"client threads left running: {leaked()}; close the client"
