"""A replicated cluster of real processes: the test's etcd, one controller process
(`python -m kanal_controller`) and broker processes (`kanal_broker.testing.BrokerProcess`)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from kanal.devcluster.etcd import EtcdProcess
from kanal.devcluster.ports import free_port
from kanal.v1 import broker_pb2, broker_pb2_grpc, controller_pb2, controller_pb2_grpc
from kanal_broker.testing import FAST_REPLICATION_ARGS, BrokerProcess

CLUSTER_ID = "replication"
SESSION_TIMEOUT_MS = 2000


@dataclass
class ReplicatedCluster:
    etcd: EtcdProcess
    base: Path
    brokers: dict[int, BrokerProcess] = field(default_factory=dict)
    controller: subprocess.Popen[bytes] | None = None
    controller_port: int = 0
    controller_metrics_port: int = 0

    def start_controller(self, timeout_s: float = 20.0) -> None:
        self.controller_port = free_port()
        self.controller_metrics_port = free_port()
        with open(self.base / "controller.log", "ab") as out:
            self.controller = subprocess.Popen(
                [sys.executable, "-m", "kanal_controller", "--controller-id", "c0",
                 "--host", "127.0.0.1", "--port", str(self.controller_port),
                 "--metrics-port", str(self.controller_metrics_port),
                 "--etcd", self.etcd.endpoint,
                 "--cluster-id", CLUSTER_ID, "--session-timeout-ms", str(SESSION_TIMEOUT_MS)],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        with grpc.insecure_channel(self.controller_endpoint) as channel:
            stub = controller_pb2_grpc.ControllerStub(channel)
            while time.monotonic() < deadline:
                try:
                    reply = stub.DescribeCluster(controller_pb2.DescribeClusterRequest(),
                                                 timeout=1)
                    if reply.active_controller.controller_id == "c0":
                        return
                except grpc.RpcError:
                    pass
                time.sleep(0.05)
        raise RuntimeError("the controller did not become active; see controller.log")

    @property
    def controller_endpoint(self) -> str:
        return f"127.0.0.1:{self.controller_port}"

    def start_broker(self, broker_id: int, *extra_args: str,
                     session_timeout_ms: int = SESSION_TIMEOUT_MS) -> BrokerProcess:
        """Start broker `broker_id`, again on the same ports and directory if it ran before."""
        broker = self.brokers.get(broker_id)
        if broker is None:
            broker = BrokerProcess(
                broker_id=broker_id, data_dir=self.base / f"broker-{broker_id}",
                etcd_endpoint=self.etcd.endpoint, cluster_id=CLUSTER_ID,
                session_timeout_ms=session_timeout_ms,
                extra_args=(*FAST_REPLICATION_ARGS, *extra_args))
            self.brokers[broker_id] = broker
        broker.start()
        return broker

    def stop(self) -> None:
        for broker in self.brokers.values():
            broker.stop()
        if self.controller is not None and self.controller.poll() is None:
            self.controller.terminate()
            try:
                self.controller.wait(20)
            except subprocess.TimeoutExpired:
                self.controller.kill()
                self.controller.wait()


@pytest.fixture
def cluster(etcd: EtcdProcess, tmp_path: Path) -> Iterator[ReplicatedCluster]:
    replicated = ReplicatedCluster(etcd, tmp_path)
    try:
        replicated.start_controller()
        yield replicated
    finally:
        replicated.stop()


async def describe_partition(endpoint: str, topic: str
                             ) -> tuple[broker_pb2.MetadataResponse,
                                        broker_pb2.PartitionMetadata | None]:
    """A broker's metadata answer and the topic's partition 0 in it (None if unknown)."""
    async with grpc.aio.insecure_channel(endpoint) as channel:
        stub = broker_pb2_grpc.BrokerStub(channel)
        reply = await stub.Metadata(broker_pb2.MetadataRequest(topics=[topic]), timeout=1)
    topics = [t for t in reply.topics if t.name == topic and t.error_code == 0]
    partition = topics[0].partitions[0] if topics and topics[0].partitions else None
    return reply, partition
