"""A SIGTERM'd broker always stops, whatever the controller does: with nothing another
replica could take over it skips controlled shutdown; with no controller known it skips it
too; with an active controller that never answers it gives up after a session's worth of
silence and shuts down as before. (Etcd stands in for the controller here.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from kanal.devcluster.etcd import EtcdProcess
from kanal.devcluster.ports import free_port
from kanal.meta.documents import ControllerLease
from kanal_broker.testing import BrokerProcess, ClusterWriter

CLUSTER_ID = "lonely"


@pytest.fixture
async def writer(etcd: EtcdProcess) -> AsyncIterator[ClusterWriter]:
    client = ClusterWriter(etcd.endpoint, CLUSTER_ID)
    try:
        yield client
    finally:
        await client.close()


async def started_broker(etcd: EtcdProcess, tmp_path: Path) -> BrokerProcess:
    broker = BrokerProcess(broker_id=1, data_dir=tmp_path / "broker-1",
                           etcd_endpoint=etcd.endpoint, cluster_id=CLUSTER_ID)
    await asyncio.to_thread(broker.start)
    return broker


async def stop_and_read_log(broker: BrokerProcess, tmp_path: Path) -> str:
    try:
        assert await asyncio.to_thread(broker.stop, 15) == 0
    finally:
        broker.kill()
    return (tmp_path / "broker-1.log").read_text()


async def test_leading_nothing_movable_skips_controlled_shutdown(
        etcd: EtcdProcess, writer: ClusterWriter, tmp_path: Path) -> None:
    await writer.create_topic("alone", replicas=[1])
    broker = await started_broker(etcd, tmp_path)
    assert "controlled shutdown" not in await stop_and_read_log(broker, tmp_path)


async def test_no_controller_known_means_no_controlled_shutdown(
        etcd: EtcdProcess, writer: ClusterWriter, tmp_path: Path) -> None:
    await writer.create_topic("pair", replicas=[1, 2])
    broker = await started_broker(etcd, tmp_path)
    assert "stopping without controlled shutdown" in await stop_and_read_log(broker, tmp_path)


async def test_an_unreachable_controller_is_given_up_on(
        etcd: EtcdProcess, writer: ClusterWriter, tmp_path: Path) -> None:
    await writer.create_topic("pair", replicas=[1, 2])
    # An active controller on a port nobody listens on: a dead controller whose session has
    # not expired yet, for good.
    ghost = ControllerLease(controller_id="ghost", host="127.0.0.1", port=free_port())
    await writer.put_raw(writer.layout.controller_leader, ghost.to_json())
    broker = await started_broker(etcd, tmp_path)
    assert "controlled shutdown abandoned" in await stop_and_read_log(broker, tmp_path)
