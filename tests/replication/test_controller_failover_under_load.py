"""kill -9 of the active controller (of three) while an acks=all producer runs.

The data path does not need the controller, so producing goes on; a standby takes over once
the dead controller's session expires. Then the partition leader is stopped (SIGTERM): its
controlled shutdown and the failover need the *new* controller, and the producer goes on
with the next leader. Every acknowledged batch is on every replica afterwards.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator

import grpc
import pytest
from kanal.devcluster.ports import free_port
from kanal.v1 import controller_pb2, controller_pb2_grpc

from .cluster_client import (
    Producer,
    check_replicas,
    create_topic,
    high_watermark,
    wait_for_isr,
)
from .conftest import CLUSTER_ID, SESSION_TIMEOUT_MS, ReplicatedCluster

pytestmark = pytest.mark.integration

TAKEOVER_TIMEOUT_S = 30.0


@pytest.fixture
def standbys(cluster: ReplicatedCluster) -> Iterator[list[tuple[str, int]]]:
    """Two more controllers (c1, c2) beside the cluster's active c0: (id, port) each."""
    processes: list[subprocess.Popen[bytes]] = []
    started: list[tuple[str, int]] = []
    try:
        for controller_id in ("c1", "c2"):
            port = free_port()
            with open(cluster.base / f"controller-{controller_id}.log", "ab") as out:
                processes.append(subprocess.Popen(
                    [sys.executable, "-m", "kanal_controller", "--controller-id", controller_id,
                     "--host", "127.0.0.1", "--port", str(port), "--metrics-port", "0",
                     "--etcd", cluster.etcd.endpoint, "--cluster-id", CLUSTER_ID,
                     "--session-timeout-ms", str(SESSION_TIMEOUT_MS)],
                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
            started.append((controller_id, port))
        yield started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def active_controller(ports: list[int]) -> str:
    """The active controller's id as a standby reports it ("" while none)."""
    for port in ports:
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                reply = await controller_pb2_grpc.ControllerStub(channel).DescribeCluster(
                    controller_pb2.DescribeClusterRequest(), timeout=1)
            return str(reply.active_controller.controller_id)
        except grpc.RpcError:
            continue
    return ""


async def test_kill_9_of_the_active_controller_during_produce(
        cluster: ReplicatedCluster, standbys: list[tuple[str, int]]) -> None:
    for broker_id in (1, 2, 3):
        cluster.start_broker(broker_id, "--replica-lag-time-max-ms", "10000")
    await create_topic(cluster)
    await wait_for_isr(cluster, 3)
    producer = Producer(cluster)
    await producer.send(10)

    assert cluster.controller is not None
    cluster.controller.kill()
    cluster.controller.wait()
    await producer.send(10)  # no controller needed on the data path
    ports = [port for _, port in standbys]
    deadline = time.monotonic() + TAKEOVER_TIMEOUT_S
    while (await active_controller(ports)) not in {"c1", "c2"}:
        assert time.monotonic() < deadline, "no standby took over"
        await asyncio.sleep(0.1)

    old_leader = producer.leaders[-1]
    assert await asyncio.to_thread(cluster.brokers[old_leader].stop) == 0
    await producer.send(10)
    assert producer.leaders[-1] != old_leader
    cluster.start_broker(old_leader)
    await wait_for_isr(cluster, 3)
    await producer.send(3)
    committed = await high_watermark(cluster.brokers[producer.leaders[-1]].endpoint)
    for broker in cluster.brokers.values():
        broker.stop()
    check_replicas(cluster, producer.acked, committed)
