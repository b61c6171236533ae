"""A cluster of real processes for the reassignment tests: the test's etcd, one controller
process (extra flags per test) and broker processes on free loopback ports."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from kanal.devcluster.etcd import EtcdProcess
from kanal.devcluster.ports import free_port
from kanal.v1 import controller_pb2, controller_pb2_grpc
from kanal_broker.testing import FAST_REPLICATION_ARGS, BrokerProcess

CLUSTER_ID = "reassign"
SESSION_TIMEOUT_MS = 2000


@dataclass
class MovingCluster:
    etcd: EtcdProcess
    base: Path
    brokers: dict[int, BrokerProcess] = field(default_factory=dict)
    controller: subprocess.Popen[bytes] | None = None
    controller_port: int = 0

    def start_controller(self, *extra_args: str, timeout_s: float = 20.0) -> None:
        self.controller_port = free_port()
        with open(self.base / "controller.log", "ab") as out:
            self.controller = subprocess.Popen(
                [sys.executable, "-m", "kanal_controller", "--controller-id", "c0",
                 "--host", "127.0.0.1", "--port", str(self.controller_port),
                 "--metrics-port", "0", "--etcd", self.etcd.endpoint,
                 "--cluster-id", CLUSTER_ID, "--session-timeout-ms", str(SESSION_TIMEOUT_MS),
                 *extra_args],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if self.describe_cluster().active_controller.controller_id == "c0":
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the controller did not become active; see controller.log")

    def describe_cluster(self) -> controller_pb2.DescribeClusterResponse:
        with grpc.insecure_channel(f"127.0.0.1:{self.controller_port}") as channel:
            return controller_pb2_grpc.ControllerStub(channel).DescribeCluster(
                controller_pb2.DescribeClusterRequest(), timeout=1)

    def describe_topic(self, name: str) -> controller_pb2.TopicDescription:
        with grpc.insecure_channel(f"127.0.0.1:{self.controller_port}") as channel:
            reply = controller_pb2_grpc.ControllerStub(channel).DescribeTopics(
                controller_pb2.DescribeTopicsRequest(names=[name]), timeout=5)
        return reply.topics[0]

    def moving(self) -> list[controller_pb2.OngoingReassignment]:
        with grpc.insecure_channel(f"127.0.0.1:{self.controller_port}") as channel:
            reply = controller_pb2_grpc.ControllerStub(channel).ListPartitionReassignments(
                controller_pb2.ListPartitionReassignmentsRequest(), timeout=5)
        return list(reply.reassignments)

    def create_topic(self, name: str, assignment: Sequence[Sequence[int]],
                     configs: dict[str, str] | None = None) -> None:
        with grpc.insecure_channel(f"127.0.0.1:{self.controller_port}") as channel:
            reply = controller_pb2_grpc.ControllerStub(channel).CreateTopics(
                controller_pb2.CreateTopicsRequest(topics=[controller_pb2.NewTopic(
                    name=name, configs=configs or {}, replica_assignment=[
                        controller_pb2.ReplicaList(broker_ids=list(r)) for r in assignment])]),
                timeout=10)
        assert reply.results[0].error_code == 0, reply.results[0].error_message

    def start_broker(self, broker_id: int) -> BrokerProcess:
        broker = self.brokers.get(broker_id)
        if broker is None:
            broker = self.brokers[broker_id] = BrokerProcess(
                broker_id=broker_id, data_dir=self.base / f"broker-{broker_id}",
                etcd_endpoint=self.etcd.endpoint, cluster_id=CLUSTER_ID,
                session_timeout_ms=SESSION_TIMEOUT_MS, extra_args=FAST_REPLICATION_ARGS)
        broker.start()
        return broker

    def wait_for_brokers(self, ids: set[int], timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while {b.broker_id for b in self.describe_cluster().brokers} != ids:
            if time.monotonic() > deadline:
                raise AssertionError(f"the controller never saw brokers {sorted(ids)}")
            time.sleep(0.05)

    @property
    def bootstrap(self) -> str:
        return ",".join(b.endpoint for b in self.brokers.values() if b.process is not None)

    def kanal(self, *args: str, timeout_s: float = 120.0) -> subprocess.CompletedProcess[str]:
        """The `kanal` command line against this cluster."""
        return subprocess.run(
            [sys.executable, "-m", "kanal.cli", *args, "--bootstrap", self.bootstrap],
            capture_output=True, text=True, timeout=timeout_s, check=False)

    def write_plan(self, plan: dict[tuple[str, int], list[int]]) -> Path:
        path = self.base / "plan.json"
        path.write_text(json.dumps({"version": 1, "partitions": [
            {"topic": t, "partition": p, "replicas": r, "log_dirs": ["any"] * len(r)}
            for (t, p), r in plan.items()]}))
        return path

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
def moving_cluster(etcd: EtcdProcess, tmp_path: Path) -> Iterator[MovingCluster]:
    cluster = MovingCluster(etcd, tmp_path)
    try:
        yield cluster
    finally:
        cluster.stop()
