"""The SDK's idempotent producer writes every record exactly once through injected retries.

Three brokers, RF 3, min.insync.replicas 2. Two kinds of retry are forced:
- appended but not acknowledged: both followers are paused, so acks=all requests time out
  after the leader appended them; the producer resends the same batches (same producer id
  and sequences) and the leader answers with the original offsets once the followers are back;
- leader failover: the leader is killed with SIGKILL mid-stream and the producer continues on
  the new leader, which rebuilt the producer state from the replicated batches.
Then every surviving replica's log is read from disk: each value is there exactly once.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import grpc
import pytest
from kanal import AIOProducer
from kanal.client.futures import FutureRecordMetadata
from kanal.errors import InvalidRequest
from kanal.records.reader import iter_records
from kanal.v1 import broker_pb2, broker_pb2_grpc
from kanal_broker.testing import read_stored_log

from .cluster_client import TOPIC, create_topic, wait_for_isr
from .conftest import ReplicatedCluster, describe_partition

pytestmark = pytest.mark.integration


async def _leader(cluster: ReplicatedCluster) -> int:
    for broker in cluster.brokers.values():
        _, partition = await describe_partition(broker.endpoint, TOPIC)
        if partition is not None and partition.leader > 0:
            return partition.leader
    raise AssertionError("no leader")


async def _send(producer: AIOProducer, first: int, count: int) -> list[FutureRecordMetadata]:
    return [await producer.send(TOPIC, value=f"v{i}".encode(), key=f"k{i}".encode())
            for i in range(first, first + count)]


def _stored_values(cluster: ReplicatedCluster, broker_id: int) -> Counter[bytes | None]:
    log = read_stored_log(cluster.brokers[broker_id].data_dir / f"{TOPIC}-0")
    return Counter(record.value for batch in log.batches.values()
                   for record in iter_records(batch))


async def test_every_record_is_stored_once_through_retries_and_failover(
        cluster: ReplicatedCluster) -> None:
    for broker_id in (1, 2, 3):
        cluster.start_broker(broker_id, "--replica-lag-time-max-ms", "10000")
    await create_topic(cluster)
    await wait_for_isr(cluster, 3)
    bootstrap = ",".join(b.endpoint for b in cluster.brokers.values())
    producer = AIOProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                           linger_ms=5, request_timeout_ms=1500, retry_backoff_ms=100)
    try:
        await asyncio.gather(*await _send(producer, 0, 100))
        leader = await _leader(cluster)
        followers = [b for b in cluster.brokers if b != leader]
        for broker_id in followers:
            cluster.brokers[broker_id].pause()
        pending = await _send(producer, 100, 20)
        await asyncio.sleep(4)  # the leader appended them; acks=all times out, retries follow
        for broker_id in followers:
            cluster.brokers[broker_id].resume()
        await asyncio.gather(*pending)
        retries_before_kill = producer.metrics()["producer-metrics"]["record-retry-total"]
        assert retries_before_kill > 0, "the paused followers caused no retry"

        pending = await _send(producer, 120, 100)
        cluster.brokers[leader].kill()
        pending += await _send(producer, 220, 100)
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    survivors = [b for b in cluster.brokers if b != leader]
    for broker_id in survivors:
        cluster.brokers[broker_id].stop()
    expected = Counter(f"v{i}".encode() for i in range(320))
    for broker_id in survivors:
        assert _stored_values(cluster, broker_id) == expected


async def test_init_producer_id_hands_out_distinct_ids(cluster: ReplicatedCluster) -> None:
    for broker_id in (1, 2):
        cluster.start_broker(broker_id)
    ids: list[int] = []
    for broker in cluster.brokers.values():
        async with grpc.aio.insecure_channel(broker.endpoint) as channel:
            stub = broker_pb2_grpc.BrokerStub(channel)
            for _ in range(3):
                reply = await stub.InitProducerId(broker_pb2.InitProducerIdRequest(), timeout=15)
                assert (reply.error_code, reply.producer_epoch) == (0, 0), reply.error_message
                ids.append(reply.producer_id)
            refused = await stub.InitProducerId(
                broker_pb2.InitProducerIdRequest(transactional_id="tx"), timeout=15)
            assert refused.error_code == InvalidRequest.code
    assert len(set(ids)) == len(ids) and min(ids) >= 0
