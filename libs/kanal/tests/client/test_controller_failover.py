"""The admin side finds the active controller: it follows a standby's NOT_CONTROLLER hint,
and moves on when the active controller dies."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from kanal import AIOAdmin, NewTopic
from kanal.client.config import ConnectionConfig, parse_bootstrap
from kanal.client.connection import ConnectionPool
from kanal.client.controller_client import ControllerClient
from kanal.client.metadata import MetadataManager
from kanal.devcluster.cluster import DevCluster
from kanal.types import HostPort
from kanal.v1 import controller_pb2, controller_pb2_grpc

pytestmark = pytest.mark.integration


@pytest.fixture
def two_controllers(tmp_path: Path) -> Iterator[DevCluster]:
    cluster = DevCluster(
        tmp_path / "cluster", brokers=1, controllers=2, base_broker_port=0, controller_port=0,
        etcd_port=0, grace_s=5.0, session_timeout_ms=3000,
    )
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


async def active_and_standby(cluster: DevCluster) -> tuple[str, HostPort, HostPort]:
    async with AIOAdmin(bootstrap_servers=cluster.bootstrap) as admin:
        description = await admin.describe_cluster()
    assert description.controller is not None and len(description.controllers) == 2
    active = description.controller
    (standby,) = [c for c in description.controllers if c.controller_id != active.controller_id]
    return active.controller_id, active.endpoint, standby.endpoint


async def test_a_standby_redirects_to_the_active_controller(two_controllers: DevCluster) -> None:
    _, active, standby = await active_and_standby(two_controllers)
    config = ConnectionConfig(bootstrap_servers=parse_bootstrap(two_controllers.bootstrap))
    pool = ConnectionPool("test")
    metadata = MetadataManager(pool, config)
    client = ControllerClient(pool, metadata, 10.0, (50, 200), first_try=standby)
    calls = 0
    request = controller_pb2.CreateTopicsRequest(
        topics=[controller_pb2.NewTopic(name="redirected", num_partitions=1,
                                        replication_factor=1)])

    async def create(
        stub: controller_pb2_grpc.ControllerAsyncStub, deadline_s: float
    ) -> controller_pb2.CreateTopicsResponse:
        nonlocal calls
        calls += 1
        return await stub.CreateTopics(request, timeout=deadline_s)

    try:
        response = await client.call(create)
    finally:
        await metadata.close()
        await pool.close()
    assert [r.error_code for r in response.results] == [0]
    assert client_target(client) == active
    assert calls == 2  # the standby, then the active controller it named


def client_target(client: ControllerClient) -> HostPort:
    target = client._active
    assert target is not None
    return target


async def test_admin_calls_survive_the_active_controller_dying(
    two_controllers: DevCluster,
) -> None:
    active_id, _, _ = await active_and_standby(two_controllers)
    async with AIOAdmin(bootstrap_servers=two_controllers.bootstrap,
                        request_timeout_ms=30_000) as admin:
        await admin.create_topics([NewTopic("before-failover", 1, 1)])
        two_controllers.kill(active_id, signal.SIGKILL)
        await admin.create_topics([NewTopic("after-failover", 1, 1)])
        assert {"before-failover", "after-failover"} <= set(await admin.list_topics())
        description = await admin.describe_cluster()
    assert description.controller is not None
    assert description.controller.controller_id != active_id
