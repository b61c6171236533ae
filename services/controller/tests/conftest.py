"""Fixtures for the controller tests (helpers live in `kanal_controller.testing`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from kanal.devcluster.etcd import EtcdProcess
from kanal.meta.etcd import Etcd
from kanal.meta.layout import Layout
from kanal.v1 import controller_pb2_grpc
from kanal_controller.app import ControllerApp
from kanal_controller.testing import SimulatedBrokers, controller_settings, wait_active

CLUSTER_ID = "test"


@pytest.fixture
def layout() -> Layout:
    return Layout(CLUSTER_ID)


@pytest.fixture
async def brokers(etcd_client: Etcd, layout: Layout) -> AsyncIterator[SimulatedBrokers]:
    simulated = SimulatedBrokers(etcd_client, layout)
    try:
        yield simulated
    finally:
        await simulated.stop_all()


@pytest.fixture
async def controller(etcd: EtcdProcess) -> AsyncIterator[ControllerApp]:
    """The active controller, in this test's event loop."""
    async with ControllerApp(controller_settings(etcd.endpoint, CLUSTER_ID, "active")) as app:
        await wait_active(app)
        yield app


@pytest.fixture
async def stub(controller: ControllerApp) -> AsyncIterator[controller_pb2_grpc.ControllerAsyncStub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{controller.port}") as channel:
        yield controller_pb2_grpc.ControllerStub(channel)
