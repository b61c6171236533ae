"""A partition moves to other brokers while an acks=all idempotent producer writes to it.

Four brokers; `orders-0` on [1, 2, 3] with min.insync.replicas 2 moves to [4, 2, 3] through
`kanal partitions reassign --reassignment-json-file ... --throttle ... --wait`: broker 4 joins
(throttled: its metric counts the throttled bytes), then broker 1, the leader, is removed and
leadership goes to 4. The producer sees no error, every acknowledged record is read back
exactly once at its offset, broker 1's copy is deleted from disk, and the three replicas are
byte-identical below the high watermark.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request

import pytest
from kanal import AIOConsumer, AIOProducer
from kanal.types import TopicPartition
from kanal_broker.testing import read_stored_log
from prometheus_client.parser import text_string_to_metric_families

from .conftest import MovingCluster

pytestmark = pytest.mark.integration

TOPIC = "orders"
THROTTLE = 128 * 1024  # bytes/s: the ~800 KB written first take seconds to copy


def broker_metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
               if s.name == name)


async def produce(producer: AIOProducer, acked: dict[int, bytes], count: int,
                  prefix: str) -> None:
    futures = [(f"{prefix}-{i}".encode().ljust(200, b"."),
                await producer.send(TOPIC, value=f"{prefix}-{i}".encode().ljust(200, b".")))
               for i in range(count)]
    for value, future in futures:
        metadata = await future  # raises on any error the producer gave up on
        assert metadata.offset not in acked
        acked[metadata.offset] = value


async def read_all(bootstrap: str, end: int) -> dict[int, bytes]:
    consumer = AIOConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    tp = TopicPartition(TOPIC, 0)
    await consumer.start()
    consumer.assign([tp])
    await consumer.seek_to_beginning(tp)
    seen: dict[int, bytes] = {}
    try:
        async with asyncio.timeout(60):
            while len(seen) < end:
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    for record in records:
                        assert record.offset not in seen
                        seen[record.offset] = record.value
    finally:
        await consumer.stop()
    return seen


async def test_a_partition_moves_off_its_leader_while_acks_all_producers_write(
        moving_cluster: MovingCluster) -> None:
    cluster = moving_cluster
    cluster.start_controller()
    for broker_id in (1, 2, 3, 4):
        cluster.start_broker(broker_id)
    cluster.wait_for_brokers({1, 2, 3, 4})
    cluster.create_topic(TOPIC, [[1, 2, 3]], {"min.insync.replicas": "2"})
    acked: dict[int, bytes] = {}
    producer = AIOProducer(bootstrap_servers=cluster.bootstrap, acks="all",
                           enable_idempotence=True, linger_ms=5)
    try:
        await produce(producer, acked, 3000, "before")
        plan = cluster.write_plan({(TOPIC, 0): [4, 2, 3]})
        move = asyncio.create_task(asyncio.to_thread(
            cluster.kanal, "partitions", "reassign", "--reassignment-json-file", str(plan),
            "--throttle", str(THROTTLE), "--wait", "--timeout", "90"))
        round_ = 0
        while not move.done():
            # Slower than the throttle: a partition written faster than its new replicas
            # may copy never finishes moving (in Kafka too).
            await produce(producer, acked, 20, f"during-{round_}")
            await asyncio.sleep(0.2)
            round_ += 1
        result = await move
        assert result.returncode == 0, result.stderr
        assert "1/1 partitions moved" in result.stderr
        await produce(producer, acked, 100, "after")
    finally:
        await producer.stop()

    described = cluster.describe_topic(TOPIC).partitions[0]
    assert list(described.replicas) == [4, 2, 3]
    assert described.leader == 4
    assert broker_metric(cluster.brokers[4].metrics_port,
                         "kanal_broker_replication_throttled_bytes_total") > 0
    # The idempotent producer's state came over with the log.
    assert broker_metric(cluster.brokers[4].metrics_port, "kanal_broker_producer_ids") >= 1
    deadline = time.monotonic() + 20
    while (cluster.brokers[1].data_dir / f"{TOPIC}-0").exists():
        assert time.monotonic() < deadline, "broker 1 kept its copy of the moved partition"
        await asyncio.sleep(0.1)

    seen = await read_all(cluster.bootstrap, max(acked) + 1)
    for offset, value in acked.items():
        assert seen.get(offset) == value, f"acknowledged offset {offset} lost or changed"
    assert len(set(seen.values())) == len(seen)  # nothing written twice

    # Every replica in sync, then compare the stopped replicas.
    deadline = time.monotonic() + 20
    while len(cluster.describe_topic(TOPIC).partitions[0].isr) < 3:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
    cluster.stop()
    logs = {b: read_stored_log(cluster.brokers[b].data_dir / f"{TOPIC}-0") for b in (2, 3, 4)}
    committed = min(log.high_watermark for log in logs.values())
    assert committed > max(acked)
    below = [{o: batch for o, batch in log.batches.items() if o < committed}
             for log in logs.values()]
    assert below[0] == below[1] == below[2]
