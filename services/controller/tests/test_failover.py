"""Real controller processes (`python -m kanal_controller`): kill -9 of the active one, SIGTERM
handover, health and metrics endpoints."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from kanal.devcluster.etcd import EtcdProcess
from kanal.devcluster.ports import free_port
from kanal.meta.layout import Layout
from kanal.v1 import common_pb2, controller_pb2, controller_pb2_grpc
from kanal_controller.testing import SimulatedBrokers, eventually

if TYPE_CHECKING:
    from kanal.v1.controller_pb2_grpc import ControllerAsyncStub as Stub

pytestmark = pytest.mark.integration

E = common_pb2.ErrorCode


@dataclass
class ControllerProcess:
    controller_id: str
    port: int
    metrics_port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class ControllerProcesses:
    etcd_endpoint: str
    cluster_id: str
    log_dir: Path
    started: list[ControllerProcess] = field(default_factory=list)

    def start(self, count: int) -> list[ControllerProcess]:
        return [self._start(f"c{len(self.started)}") for _ in range(count)]

    def _start(self, controller_id: str) -> ControllerProcess:
        port, metrics_port = free_port(), free_port()
        log_path = self.log_dir / f"{controller_id}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "kanal_controller", "--controller-id", controller_id,
                 "--port", str(port), "--metrics-port", str(metrics_port),
                 "--etcd", self.etcd_endpoint, "--cluster-id", self.cluster_id,
                 "--session-timeout-ms", "2000", "--log-level", "DEBUG"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        controller = ControllerProcess(controller_id, port, metrics_port, process, log_path)
        self.started.append(controller)
        return controller

    def kill_all(self) -> None:
        for controller in self.started:
            if controller.process.poll() is None:
                controller.process.kill()
            controller.process.wait()


@pytest.fixture
def spawn(etcd: EtcdProcess, layout: Layout, tmp_path: Path) -> Iterator[ControllerProcesses]:
    processes = ControllerProcesses(etcd.endpoint, layout.cluster_id, tmp_path)
    try:
        yield processes
    finally:
        processes.kill_all()


@pytest.fixture
async def channels() -> AsyncIterator[dict[int, grpc.aio.Channel]]:
    opened: dict[int, grpc.aio.Channel] = {}
    try:
        yield opened
    finally:
        for channel in opened.values():
            await channel.close(None)


def stub(channels: dict[int, grpc.aio.Channel], port: int) -> Stub:
    if port not in channels:
        channels[port] = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    return controller_pb2_grpc.ControllerStub(channels[port])


async def active_id(client: Stub) -> str:
    """The active controller per DescribeCluster; '' while unknown or unreachable."""
    try:
        response = await client.DescribeCluster(controller_pb2.DescribeClusterRequest(),
                                                timeout=2)
    except grpc.aio.AioRpcError:
        return ""
    return str(response.active_controller.controller_id)


async def wait_for_active(client: Stub, among: set[str]) -> str:
    found = ""

    async def elected() -> bool:
        nonlocal found
        found = await active_id(client)
        return found in among
    await eventually(elected, f"one of {sorted(among)} active")
    return found


async def test_kill_9_of_the_active_controller_fails_over(
        spawn: ControllerProcesses, channels: dict[int, grpc.aio.Channel],
        brokers: SimulatedBrokers) -> None:
    controllers = spawn.start(3)
    by_id = {c.controller_id: c for c in controllers}
    await brokers.start(1)
    first = await wait_for_active(stub(channels, controllers[0].port), set(by_id))
    active = stub(channels, by_id[first].port)

    names = [f"topic-{i}" for i in range(5)]

    async def all_created() -> bool:
        response = await active.CreateTopics(controller_pb2.CreateTopicsRequest(topics=[
            controller_pb2.NewTopic(name=n, num_partitions=2) for n in names]))
        return all(r.error_code in (E.NONE, E.TOPIC_ALREADY_EXISTS) for r in response.results)
    await eventually(all_created, "topics created")
    before = await active.DescribeTopics(controller_pb2.DescribeTopicsRequest())

    by_id[first].process.send_signal(signal.SIGKILL)
    by_id[first].process.wait()
    survivors = set(by_id) - {first}
    survivor = stub(channels, by_id[sorted(survivors)[0]].port)
    second = await wait_for_active(survivor, survivors)

    new_active = stub(channels, by_id[second].port)
    after = await new_active.DescribeTopics(controller_pb2.DescribeTopicsRequest())
    assert after == before
    response = await new_active.CreateTopics(controller_pb2.CreateTopicsRequest(
        topics=[controller_pb2.NewTopic(name="after-failover")]))
    assert response.results[0].error_code == E.NONE
    cluster = await new_active.DescribeCluster(controller_pb2.DescribeClusterRequest())
    assert sorted(c.controller_id for c in cluster.controllers) == sorted(survivors)


async def test_sigterm_hands_over_and_exits_cleanly(
        spawn: ControllerProcesses, channels: dict[int, grpc.aio.Channel]) -> None:
    controllers = spawn.start(2)
    by_id = {c.controller_id: c for c in controllers}
    first = await wait_for_active(stub(channels, controllers[0].port), set(by_id))
    other = next(c for c in controllers if c.controller_id != first)

    by_id[first].process.send_signal(signal.SIGTERM)
    code = await asyncio.to_thread(by_id[first].process.wait, 30)
    assert code == 0, by_id[first].log()
    assert await wait_for_active(stub(channels, other.port), {other.controller_id})


async def test_health_and_metrics_endpoints(
        spawn: ControllerProcesses, channels: dict[int, grpc.aio.Channel]) -> None:
    (controller,) = spawn.start(1)
    await wait_for_active(stub(channels, controller.port), {controller.controller_id})
    health = health_pb2_grpc.HealthStub(channels[controller.port])

    async def serving() -> bool:
        answer = await health.Check(health_pb2.HealthCheckRequest(
            service="kanal.v1.Controller"))
        return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)
    await eventually(serving, "health SERVING")

    def scrape() -> str:
        url = f"http://127.0.0.1:{controller.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as page:
            return str(page.read().decode())

    async def reports_active() -> bool:
        return "kanal_controller_active 1.0" in await asyncio.to_thread(scrape)
    await eventually(reports_active, "metrics report the active controller")
    text = await asyncio.to_thread(scrape)
    for name in ("kanal_controller_requests_total{api=\"DescribeCluster\",error=\"NONE\"}",
                 "kanal_controller_request_latency_seconds_bucket",
                 "kanal_controller_live_brokers", "kanal_controller_topics",
                 "kanal_controller_partitions", "kanal_controller_offline_partitions",
                 "kanal_controller_leader_elections_total"):
        assert name in text
