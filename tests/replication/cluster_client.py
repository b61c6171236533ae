"""Talking to a replicated test cluster as a client would: an acks=all producer over raw
gRPC that records every acknowledged offset, metadata and offset lookups, metrics scraping,
and the final comparison of every replica's log on disk."""

from __future__ import annotations

import asyncio
import itertools
import time
import urllib.request

import grpc
from kanal.v1 import broker_pb2, broker_pb2_grpc, controller_pb2, controller_pb2_grpc
from kanal_broker.testing import StoredLog, make_batch, produce_request, read_stored_log
from prometheus_client.parser import text_string_to_metric_families

from .conftest import ReplicatedCluster, describe_partition

TOPIC = "orders"
DEADLINE_S = 45.0


class Producer:
    """acks=all, one batch in flight, retried (possibly duplicated) until acknowledged."""

    def __init__(self, cluster: ReplicatedCluster) -> None:
        self._cluster = cluster
        self.acked: dict[int, bytes] = {}
        self.leaders: list[int] = []
        self._counter = itertools.count()

    async def send(self, count: int) -> None:
        for _ in range(count):
            await self._send_one(f"record-{next(self._counter)}".encode())

    async def _send_one(self, value: bytes) -> None:
        batch = make_batch([value, value + b"-second"])
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            leader = await self._leader()
            if leader is not None:
                try:
                    async with grpc.aio.insecure_channel(leader[1]) as channel:
                        reply = await broker_pb2_grpc.BrokerStub(channel).Produce(
                            produce_request(TOPIC, 0, batch, acks=-1, timeout_ms=2000),
                            timeout=5)
                    answer = reply.topics[0].partitions[0]
                    if answer.error_code == 0:
                        assert answer.base_offset not in self.acked
                        self.acked[answer.base_offset] = batch[21:]  # after the CRC field
                        if not self.leaders or self.leaders[-1] != leader[0]:
                            self.leaders.append(leader[0])
                        return
                except grpc.RpcError:
                    pass  # the leader died under us: find the next one
            await asyncio.sleep(0.1)
        raise AssertionError(f"{value!r} was not acknowledged within {DEADLINE_S} s")

    async def _leader(self) -> tuple[int, str] | None:
        """(id, endpoint) of the partition leader per the first broker that answers."""
        for broker in self._cluster.brokers.values():
            if broker.process is None or broker.process.poll() is not None:
                continue
            try:
                reply, partition = await describe_partition(broker.endpoint, TOPIC)
            except grpc.RpcError:
                continue
            if partition is None or partition.leader < 0:
                return None
            endpoints = {b.broker_id: f"{b.endpoint.host}:{b.endpoint.port}"
                         for b in reply.brokers}
            if partition.leader in endpoints:
                return partition.leader, endpoints[partition.leader]
        return None


async def produce_leader_only(endpoint: str, value: str) -> bytes:
    """An acks=1 batch (not an acknowledged write under acks=all); its body."""
    batch = make_batch([value.encode()])
    async with grpc.aio.insecure_channel(endpoint) as channel:
        reply = await broker_pb2_grpc.BrokerStub(channel).Produce(
            produce_request(TOPIC, 0, batch, acks=1), timeout=5)
    assert reply.topics[0].partitions[0].error_code == 0
    return batch[21:]


async def high_watermark(endpoint: str) -> int:
    async with grpc.aio.insecure_channel(endpoint) as channel:
        reply = await broker_pb2_grpc.BrokerStub(channel).ListOffsets(
            broker_pb2.ListOffsetsRequest(topics=[broker_pb2.ListOffsetsTopic(
                topic=TOPIC, partitions=[broker_pb2.ListOffsetsPartition(
                    partition=0, timestamp=-1)])]))
    answer = reply.topics[0].partitions[0]
    assert answer.error_code == 0, answer.error_message
    return answer.offset


async def wait_for_isr(cluster: ReplicatedCluster, size: int,
                       without: int | None = None) -> list[int]:
    """The ISR (per the metadata of any running broker) once it has `size` members."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        for broker in cluster.brokers.values():
            if broker.process is None or broker.process.poll() is not None:
                continue
            try:
                _, partition = await describe_partition(broker.endpoint, TOPIC)
            except grpc.RpcError:
                continue
            if (partition is not None and len(partition.isr) == size
                    and without not in partition.isr):
                return list(partition.isr)
        await asyncio.sleep(0.1)
    raise AssertionError(f"the ISR never reached {size} replicas")


def metric(port: int, name: str, **labels: str) -> float | None:
    """One sample's value from a /metrics endpoint, or None when absent."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v
                                           for k, v in labels.items()):
                return float(sample.value)
    return None


def check_replicas(cluster: ReplicatedCluster, acked: dict[int, bytes],
                   committed: int) -> dict[int, StoredLog]:
    """With every broker stopped: each acknowledged batch at its offset on every replica,
    and the replicas byte-identical below the high watermark `committed`."""
    logs = {b: read_stored_log(p.data_dir / f"{TOPIC}-0") for b, p in cluster.brokers.items()}
    for broker_id, log in logs.items():
        for offset, body in acked.items():
            assert offset in log.batches, f"acked offset {offset} missing on {broker_id}"
            assert log.batches[offset][21:] == body, f"offset {offset} differs on {broker_id}"
    below = [{o: batch for o, batch in log.batches.items() if o < committed}
             for log in logs.values()]
    assert all(part == below[0] for part in below)
    assert max(acked) < committed
    return logs


async def create_topic(cluster: ReplicatedCluster) -> None:
    """TOPIC with one partition, replication factor 3, min.insync.replicas 2."""
    async with grpc.aio.insecure_channel(cluster.controller_endpoint) as channel:
        created = await controller_pb2_grpc.ControllerStub(channel).CreateTopics(
            controller_pb2.CreateTopicsRequest(topics=[controller_pb2.NewTopic(
                name=TOPIC, num_partitions=1, replication_factor=3,
                configs={"min.insync.replicas": "2"})]))
    assert created.results[0].error_code == 0, created.results[0].error_message
