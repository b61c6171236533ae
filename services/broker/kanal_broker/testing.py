"""Helpers for tests that need a real broker: run `python -m kanal_broker` as a child
process, write topics into etcd the way the controller does, and build record batches.

Used by this package's tests and by the cross-service tests; nothing here runs in the broker.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aetcd
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from kanal.devcluster.ports import free_port
from kanal.meta.documents import PartitionState, TopicSpec
from kanal.meta.layout import Layout
from kanal.records.builder import BatchBuilder
from kanal.records.header import iter_batches
from kanal.topic_config import TopicConfig
from kanal.types import HostPort
from kanal.v1 import broker_pb2, broker_pb2_grpc

from kanal_broker.log import Log

# Flags that make replication quick to observe in tests: short long polls and back-offs.
FAST_REPLICATION_ARGS = ("--replica-fetch-wait-max-ms", "100",
                         "--replica-fetch-backoff-ms", "100")


@dataclass
class BrokerProcess:
    """One broker as a child process on free loopback ports; `start()` waits until its
    health service says SERVING (registered, metadata loaded)."""

    broker_id: int
    data_dir: Path
    etcd_endpoint: str
    cluster_id: str = "test"
    session_timeout_ms: int = 2000
    retention_check_interval_ms: int = 300_000
    extra_args: Sequence[str] = ()
    port: int = 0
    metrics_port: int = 0
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "kanal_broker",
            "--broker-id", str(self.broker_id),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--metrics-port", str(self.metrics_port),
            "--data-dir", str(self.data_dir),
            "--etcd", self.etcd_endpoint,
            "--cluster-id", self.cluster_id,
            "--session-timeout-ms", str(self.session_timeout_ms),
            "--log-retention-check-interval-ms", str(self.retention_check_interval_ms),
            "--log-level", "INFO",
            *self.extra_args,
        ]

    def start(self, timeout_s: float = 30.0) -> None:
        self.port = self.port or free_port()
        self.metrics_port = self.metrics_port or free_port()
        log_path = self.log_path or self.data_dir.parent / f"broker-{self.broker_id}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("KANAL_")}
        with open(log_path, "ab") as out:
            self.process = subprocess.Popen(self.command(), stdout=out,
                                            stderr=subprocess.STDOUT, env=env,
                                            start_new_session=True)
        if not self.wait_serving(timeout_s):
            self.kill()
            raise RuntimeError(f"broker {self.broker_id} did not start; see {log_path}")

    def wait_serving(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        with grpc.insecure_channel(self.endpoint) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    return False
                try:
                    reply = health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return True
                except grpc.RpcError:
                    pass
                time.sleep(0.05)
        return False

    def stop(self, timeout_s: float = 20.0) -> int | None:
        """SIGTERM (graceful shutdown) and wait; the exit code."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGCONT)  # a paused broker cannot handle SIGTERM
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        """SIGKILL: no flush, no clean-shutdown marker, the lease left to expire."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


class ClusterWriter:
    """Writes topics and partition states into etcd, standing in for the controller."""

    def __init__(self, etcd_endpoint: str, cluster_id: str) -> None:
        where = HostPort.parse(etcd_endpoint, 2379)
        self._client: Any = aetcd.Client(host=where.host, port=where.port, timeout=5)
        self.layout = Layout(cluster_id)

    async def close(self) -> None:
        await self._client.close()

    async def create_topic(self, name: str, *, partitions: int = 1, replicas: Sequence[int],
                           configs: dict[str, str] | None = None, leader: int | None = None,
                           leader_epoch: int = 0, internal: bool = False) -> TopicSpec:
        """Partition states first, topic last (as the controller does), all leaders
        `leader` (default: the first replica)."""
        spec = TopicSpec(name=name, topic_id=uuid.uuid4().hex,
                         assignment=[list(replicas) for _ in range(partitions)],
                         configs=dict(configs or {}), internal=internal)
        chosen = replicas[0] if leader is None else leader
        for p in range(partitions):
            await self.set_partition_state(name, p, leader=chosen, leader_epoch=leader_epoch,
                                           isr=list(replicas))
        await self._client.put(self.layout.topic(name), spec.to_json())
        return spec

    async def set_partition_state(self, topic: str, partition: int, *, leader: int,
                                  leader_epoch: int, isr: Sequence[int]) -> None:
        state = PartitionState(leader=leader, leader_epoch=leader_epoch, isr=list(isr))
        await self._client.put(self.layout.partition(topic, partition), state.to_json())

    async def delete_topic(self, name: str) -> None:
        await self._client.delete(self.layout.topic(name))
        await self._client.delete_prefix(self.layout.topic_partitions_prefix(name))

    async def registration(self, broker_id: int) -> tuple[int, int] | None:
        """(mod_revision, lease id) of the broker's registration key, or None."""
        found = await self._client.get(self.layout.broker(broker_id))
        return None if found is None else (int(found.mod_revision), int(found.lease))

    async def put_raw(self, key: bytes, value: bytes) -> None:
        await self._client.put(key, value)


def make_batch(values: Sequence[bytes], *, keys: Sequence[bytes | None] | None = None,
               timestamp_ms: int | None = None, codec: int = 0) -> bytes:
    """One RecordBatch v2 from Kanal's own builder; record i gets timestamp
    `timestamp_ms + i` (default: now)."""
    builder = BatchBuilder(codec=codec, max_bytes=1 << 30)
    base = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
    for i, value in enumerate(values):
        builder.append(base + i, keys[i] if keys is not None else None, value)
    return builder.build()


def make_kafka_python_batch(values: Sequence[bytes], *, timestamp_ms: int,
                            codec: int = 0) -> bytes:
    """The same from kafka-python, an independent encoder (a test-only dependency)."""
    with warnings.catch_warnings():
        # kafka-python's package import uses importlib.resources.read_text (deprecated).
        warnings.simplefilter("ignore", DeprecationWarning)
        from kafka.record.default_records import DefaultRecordBatchBuilder

    builder = DefaultRecordBatchBuilder(
        magic=2, compression_type=codec, is_transactional=False, producer_id=-1,
        producer_epoch=-1, base_sequence=-1, batch_size=1 << 30)
    for i, value in enumerate(values):
        builder.append(i, timestamp=timestamp_ms + i, key=None, value=value, headers=[])
    return bytes(builder.build())


@dataclass(frozen=True)
class StoredLog:
    """A stopped broker's partition log, read from its directory."""

    batches: dict[int, bytes]
    """Each whole batch as stored, by base offset."""
    high_watermark: int
    log_end_offset: int


def read_stored_log(directory: Path) -> StoredLog:
    """Open a partition directory of a broker that is not running and read every batch."""
    log = Log.open(directory, TopicConfig.resolve({}), now_ms=lambda: int(time.time() * 1000))
    try:
        batches: dict[int, bytes] = {}
        offset = log.log_start_offset
        while offset < log.log_end_offset:
            read = log.read(offset, 1 << 20)
            if not read.records:
                break
            for position, header in iter_batches(read.records):
                batches[header.base_offset] = read.records[position:position + header.size]
            offset = read.next_offset
        return StoredLog(batches, int(log.high_watermark), int(log.log_end_offset))
    finally:
        log.abandon()


# ---- request builders ----------------------------------------------------------------------


def produce_request(topic: str, partition: int, records: bytes, *, acks: int = 1,
                    correlation_id: int = 0,
                    timeout_ms: int = 10_000) -> broker_pb2.ProduceRequest:
    return broker_pb2.ProduceRequest(
        correlation_id=correlation_id, acks=acks, timeout_ms=timeout_ms,
        topics=[broker_pb2.TopicProduceData(topic=topic, partitions=[
            broker_pb2.PartitionProduceData(partition=partition, records=records)])])


def fetch_request(topic: str, partition: int, offset: int, *, max_bytes: int = 1 << 20,
                  partition_max_bytes: int = 1 << 20, min_bytes: int = 0,
                  max_wait_ms: int = 0, leader_epoch: int = -1) -> broker_pb2.FetchRequest:
    return broker_pb2.FetchRequest(
        replica_id=-1, max_wait_ms=max_wait_ms, min_bytes=min_bytes, max_bytes=max_bytes,
        topics=[broker_pb2.FetchTopic(topic=topic, partitions=[broker_pb2.FetchPartition(
            partition=partition, fetch_offset=offset, partition_max_bytes=partition_max_bytes,
            current_leader_epoch=leader_epoch)])])


def list_offsets_request(topic: str, partition: int,
                         timestamp: int) -> broker_pb2.ListOffsetsRequest:
    return broker_pb2.ListOffsetsRequest(topics=[broker_pb2.ListOffsetsTopic(
        topic=topic, partitions=[broker_pb2.ListOffsetsPartition(
            partition=partition, timestamp=timestamp)])])


async def wait_until(check: Callable[[], Awaitable[bool]], *, timeout_s: float = 15.0,
                     what: str = "condition") -> None:
    """Poll `check` until it holds (for state that changes in another process)."""
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def wait_for_leadership(stub: broker_pb2_grpc.BrokerAsyncStub, topic: str,
                              partitions: Sequence[int] = (0,), *,
                              timeout_s: float = 15.0) -> None:
    """Until the broker behind `stub` answers ListOffsets for each partition without error
    (it saw the topic, opened the log and leads)."""
    async def leads() -> bool:
        for p in partitions:
            reply = await stub.ListOffsets(list_offsets_request(topic, p, -1))
            if reply.topics[0].partitions[0].error_code != 0:
                return False
        return True

    await wait_until(leads, timeout_s=timeout_s, what=f"leadership of {topic}")
