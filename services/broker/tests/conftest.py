"""Fixtures for the broker tests: real etcd, real `python -m kanal_broker` processes.

`shared_broker` (one etcd and one broker per test module) serves the tests that only add
their own topics; tests that kill, pause or restart a broker start their own (`broker`).
Helpers live in `kanal_broker.testing` so cross-service tests can use them too.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from kanal.devcluster.etcd import EtcdProcess
from kanal.v1 import broker_pb2_grpc
from kanal_broker.testing import BrokerProcess, ClusterWriter

CLUSTER_ID = "test"
BROKER_ID = 1
# The shared broker's message-max-bytes: small, so the oversize path is cheap to reach.
SHARED_MESSAGE_MAX_BYTES = 64 * 1024


@dataclass
class Cluster:
    etcd: EtcdProcess
    broker: BrokerProcess


def start_broker(etcd: EtcdProcess, data_dir: Path, **options: object) -> BrokerProcess:
    broker = BrokerProcess(broker_id=BROKER_ID, data_dir=data_dir,
                           etcd_endpoint=etcd.endpoint, cluster_id=CLUSTER_ID,
                           **options)  # type: ignore[arg-type]
    broker.start()
    return broker


@pytest.fixture(scope="module")
def shared_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    base = tmp_path_factory.mktemp("shared")
    etcd = EtcdProcess(data_dir=base / "etcd")
    etcd.start()
    try:
        broker = start_broker(etcd, base / "data", extra_args=(
            "--message-max-bytes", str(SHARED_MESSAGE_MAX_BYTES)))
        try:
            yield Cluster(etcd, broker)
        finally:
            broker.stop()
    finally:
        etcd.stop()


@pytest.fixture
def broker_factory(etcd: EtcdProcess, tmp_path: Path
                   ) -> Iterator[Callable[..., BrokerProcess]]:
    """Start brokers of this test's own (options as BrokerProcess fields); all are stopped
    at the end. The same data directory each time, so a restart finds its logs."""
    started: list[BrokerProcess] = []

    def start(**options: object) -> BrokerProcess:
        process = start_broker(etcd, tmp_path / "data", **options)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            process.stop()


@pytest.fixture
def broker(broker_factory: Callable[..., BrokerProcess]) -> BrokerProcess:
    """A broker of this test's own, on the test's own etcd."""
    return broker_factory()


@pytest.fixture
async def writer(etcd: EtcdProcess) -> AsyncIterator[ClusterWriter]:
    client = ClusterWriter(etcd.endpoint, CLUSTER_ID)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def shared_writer(shared_cluster: Cluster) -> AsyncIterator[ClusterWriter]:
    client = ClusterWriter(shared_cluster.etcd.endpoint, CLUSTER_ID)
    try:
        yield client
    finally:
        await client.close()


async def _stub(endpoint: str) -> AsyncIterator[broker_pb2_grpc.BrokerAsyncStub]:
    async with grpc.aio.insecure_channel(endpoint) as channel:
        yield broker_pb2_grpc.BrokerStub(channel)


@pytest.fixture
async def stub(broker: BrokerProcess) -> AsyncIterator[broker_pb2_grpc.BrokerAsyncStub]:
    async for s in _stub(broker.endpoint):
        yield s


@pytest.fixture
async def shared_stub(shared_cluster: Cluster) -> AsyncIterator[broker_pb2_grpc.BrokerAsyncStub]:
    async for s in _stub(shared_cluster.broker.endpoint):
        yield s


@pytest.fixture
def topic_name() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"
