"""A network partition isolates the partition leader; no acknowledged write is lost.

Brokers listen on their own loopback addresses (127.0.0.11-13). The leader, broker 1, runs
as the unprivileged user `nobody`, so that nft can tell its packets apart (on loopback every
outgoing connection has source address 127.0.0.1 whatever the process listens on): for a
bounded time an nft table drops every packet broker 1 sends (`meta skuid`) and every packet
sent to its address. It can reach neither etcd, the controller, its followers nor the
producer; they cannot reach it. Its lease expires, the controller elects another in-sync
replica, and the acks=all producer (raw gRPC, retrying until acknowledged) carries on. The
table is deleted (also when the test fails); broker 1 comes back, truncates what it alone
held, catches up and rejoins the ISR. Then, with every broker stopped: each acknowledged batch
is on every replica at its offset, the replicas are byte-identical below the high watermark,
and no offset holds two different batches.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from kanal.devcluster.etcd import EtcdProcess
from kanal.devcluster.ports import free_port
from kanal.errors import TopicAlreadyExists
from kanal.v1 import broker_pb2_grpc, controller_pb2, controller_pb2_grpc
from kanal_broker.testing import (
    FAST_REPLICATION_ARGS,
    BrokerProcess,
    make_batch,
    produce_request,
    read_stored_log,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("nft") is None or shutil.which("setpriv") is None
                       or os.geteuid() != 0,
                       reason="needs nft (scripts/setup.sh installs nftables), setpriv, root"),
]

TOPIC = "orders"
CLUSTER_ID = "partition"
SESSION_TIMEOUT_MS = 2000
PARTITION_S = 8.0
DEADLINE_S = 60.0
ADDRESSES = {1: "127.0.0.11", 2: "127.0.0.12", 3: "127.0.0.13"}
NOBODY = pwd.getpwnam("nobody")


@dataclass
class AddressedBroker(BrokerProcess):
    """A broker listening on its own loopback address, optionally as `nobody`."""

    host: str = "127.0.0.1"
    as_nobody: bool = False

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    def command(self) -> list[str]:
        argv = super().command()
        argv[argv.index("--host") + 1] = self.host
        if self.as_nobody:
            argv = ["setpriv", f"--reuid={NOBODY.pw_uid}", f"--regid={NOBODY.pw_gid}",
                    "--clear-groups", *argv]
        return argv


@contextlib.contextmanager
def isolated(address: str, uid: int) -> Iterator[None]:
    """Drop what `uid`'s processes send and what is sent to `address`, until the block ends."""
    table = f"kanal_partition_{os.getpid()}"
    rules = (f"add table inet {table}\n"
             f"add chain inet {table} out {{ type filter hook output priority 0; }}\n"
             f"add rule inet {table} out meta skuid {uid} drop\n"
             f"add rule inet {table} out ip daddr {address} drop\n")
    subprocess.run(["nft", "-f", "-"], input=rules, text=True, check=True)
    try:
        yield
    finally:
        subprocess.run(["nft", "delete", "table", "inet", table], check=True)


class Producer:
    """acks=all, one batch in flight, retried (perhaps duplicated) until acknowledged."""

    def __init__(self, brokers: dict[int, AddressedBroker]) -> None:
        self._brokers = brokers
        self.acked: dict[int, bytes] = {}
        self._counter = itertools.count()
        self._last_leader = 1

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self._send_one(f"record-{next(self._counter)}".encode())

    async def _send_one(self, value: bytes) -> None:
        batch = make_batch([value])
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            # The broker that acknowledged last first: an unreachable one costs a timeout.
            order = sorted(self._brokers, key=lambda b: b != self._last_leader)
            for broker_id in order:
                broker = self._brokers[broker_id]
                try:
                    async with grpc.aio.insecure_channel(broker.endpoint) as channel:
                        reply = await broker_pb2_grpc.BrokerStub(channel).Produce(
                            produce_request(TOPIC, 0, batch, acks=-1, timeout_ms=2000),
                            timeout=3)
                except grpc.RpcError:
                    continue
                answer = reply.topics[0].partitions[0]
                if answer.error_code == 0:
                    assert answer.base_offset not in self.acked, "offset acknowledged twice"
                    self.acked[answer.base_offset] = batch[21:]  # after the CRC field
                    self._last_leader = broker_id
                    return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{value!r} was not acknowledged within {DEADLINE_S} s")


def partition_state(port: int) -> controller_pb2.PartitionDescription:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        reply = controller_pb2_grpc.ControllerStub(channel).DescribeTopics(
            controller_pb2.DescribeTopicsRequest(names=[TOPIC]), timeout=5)
    return reply.topics[0].partitions[0]


async def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


def start_controller(etcd: EtcdProcess, base: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    with open(base / "controller.log", "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "kanal_controller", "--controller-id", "c0",
             "--port", str(port), "--metrics-port", "0", "--etcd", etcd.endpoint,
             "--cluster-id", CLUSTER_ID, "--session-timeout-ms", str(SESSION_TIMEOUT_MS)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return process, port


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory `nobody` can reach (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="kanal-partition-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


async def test_an_isolated_leader_loses_no_acknowledged_write(
        etcd: EtcdProcess, tmp_path: Path, open_dir: Path) -> None:
    controller, port = start_controller(etcd, tmp_path)
    brokers: dict[int, AddressedBroker] = {}
    try:
        for broker_id, address in ADDRESSES.items():
            data_dir = (open_dir if broker_id == 1 else tmp_path) / f"broker-{broker_id}"
            data_dir.mkdir()
            if broker_id == 1:
                os.chown(data_dir, NOBODY.pw_uid, NOBODY.pw_gid)
            brokers[broker_id] = AddressedBroker(
                broker_id=broker_id, data_dir=data_dir, etcd_endpoint=etcd.endpoint,
                cluster_id=CLUSTER_ID, session_timeout_ms=SESSION_TIMEOUT_MS,
                extra_args=FAST_REPLICATION_ARGS, host=address, as_nobody=broker_id == 1,
                log_path=tmp_path / f"broker-{broker_id}.log")
            brokers[broker_id].start()
        await wait_for(lambda: _create_topic(port), "the topic to be created")
        await wait_for(lambda: partition_state(port).leader == 1
                       and len(partition_state(port).isr) == 3, "broker 1 leading, ISR full")

        producer = Producer(brokers)
        stop = asyncio.Event()
        writing = asyncio.create_task(producer.run(stop))
        await wait_for(lambda: len(producer.acked) >= 20, "writes before the partition")
        with isolated(ADDRESSES[1], NOBODY.pw_uid):
            before = len(producer.acked)
            await wait_for(lambda: partition_state(port).leader in (2, 3),
                           "a new leader on the majority side")
            await wait_for(lambda: len(producer.acked) >= before + 20,
                           "writes acknowledged by the new leader")
            await asyncio.sleep(PARTITION_S)
            assert 1 not in partition_state(port).isr
        await wait_for(lambda: sorted(partition_state(port).isr) == [1, 2, 3],
                       "broker 1 back in the ISR")
        stop.set()
        await writing
        await asyncio.sleep(1)  # let the followers fetch the last watermark
    finally:
        for broker in brokers.values():
            broker.stop()
        controller.terminate()
        controller.wait(20)

    logs = {b: read_stored_log(brokers[b].data_dir / f"{TOPIC}-0") for b in brokers}
    committed = max(log.high_watermark for log in logs.values())
    for broker_id, log in logs.items():
        for offset, body in producer.acked.items():
            assert offset in log.batches, f"acknowledged offset {offset} lost on {broker_id}"
            assert log.batches[offset][21:] == body, f"offset {offset} differs on {broker_id}"
    below = [{o: batch for o, batch in log.batches.items() if o < committed}
             for log in logs.values()]
    assert below[0] == below[1] == below[2]
    assert max(producer.acked) < committed


def _create_topic(port: int) -> bool:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = controller_pb2_grpc.ControllerStub(channel)
        try:
            reply = stub.CreateTopics(controller_pb2.CreateTopicsRequest(topics=[
                controller_pb2.NewTopic(name=TOPIC, configs={"min.insync.replicas": "2"},
                                        replica_assignment=[controller_pb2.ReplicaList(
                                            broker_ids=[1, 2, 3])])]), timeout=5)
        except grpc.RpcError:
            return False
    code = reply.results[0].error_code
    return code in {0, TopicAlreadyExists.code}  # created (perhaps by an earlier attempt)

