"""Fixtures shared by every test folder: a real etcd server on free loopback ports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kanal.devcluster.etcd import EtcdProcess


@pytest.fixture
def etcd(tmp_path: Path) -> Iterator[EtcdProcess]:
    """A fresh single-member etcd for one test; `etcd.endpoint` is `host:port`."""
    server = EtcdProcess(data_dir=tmp_path / "etcd")
    server.start()
    try:
        yield server
    finally:
        server.stop()
