"""The broker's own ingest cost: pre-built 1 MiB record batches over raw gRPC Produce calls.

    python bench/broker_ingest.py [--total-mb 1024] [--partitions 4] [--in-flight 4] [--json]

The batches are built once, before timing (100-byte values, no compression, ~1 MiB each), so
the figure is what the broker spends validating headers and CRCs, rewriting base offsets and
appending - not client encoding. `bench/cluster_core.py` calls `measure_ingest` in its run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import grpc
from kanal import Admin, NewTopic
from kanal.devcluster.cluster import DevCluster
from kanal.records.builder import BatchBuilder
from kanal.v1 import broker_pb2, broker_pb2_grpc

TOPIC = "ingest"
BATCH_BYTES = 1024 * 1024


def build_batch(record_size: int) -> bytes:
    builder = BatchBuilder(max_bytes=BATCH_BYTES - 200)
    value = os.urandom(record_size)
    now = int(time.time() * 1000)
    while builder.append(now, None, value) is not None:
        pass
    return builder.build()


async def _ingest(bootstrap: str, total_bytes: int, partitions: int, in_flight: int,
                  batch: bytes) -> tuple[float, int]:
    options = [("grpc.max_send_message_length", 64 << 20),
               ("grpc.max_receive_message_length", 64 << 20)]
    async with grpc.aio.insecure_channel(bootstrap, options=options) as channel:
        stub = broker_pb2_grpc.BrokerStub(channel)
        requests = [
            broker_pb2.ProduceRequest(acks=1, timeout_ms=30_000, topics=[
                broker_pb2.TopicProduceData(topic=TOPIC, partitions=[
                    broker_pb2.PartitionProduceData(partition=p, records=batch)])])
            for p in range(partitions)
        ]
        count = max(1, total_bytes // len(batch))
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(count):
            queue.put_nowait(i)

        async def worker() -> None:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                reply = await stub.Produce(requests[i % partitions])
                code = reply.topics[0].partitions[0].error_code
                if code != 0:
                    raise RuntimeError(f"produce failed with error code {code}")

        # Warm the connection, and wait until the broker leads every partition (it learns
        # a new topic's assignments from etcd a moment after CreateTopics returns).
        deadline = time.monotonic() + 20
        for request in requests:
            while (await stub.Produce(request)).topics[0].partitions[0].error_code:
                if time.monotonic() > deadline:
                    raise RuntimeError("the broker did not lead every partition within 20 s")
                await asyncio.sleep(0.1)
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        return time.perf_counter() - started, count


def measure_ingest(bootstrap: str, *, total_mb: int = 1024, partitions: int = 4,
                   in_flight: int = 4, record_size: int = 100) -> dict[str, float]:
    with Admin(bootstrap_servers=bootstrap) as admin:
        admin.create_topics([NewTopic(TOPIC, partitions, 1)])
    batch = build_batch(record_size)
    elapsed, count = asyncio.run(
        _ingest(bootstrap, total_mb * 1024 * 1024, partitions, in_flight, batch))
    moved = count * len(batch)
    return {
        "batches": float(count),
        "batch_bytes": float(len(batch)),
        "mb_per_sec": moved / elapsed / 1e6,
        "batches_per_sec": count / elapsed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total-mb", type=int, default=1024)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--in-flight", type=int, default=4)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir, DevCluster(
        data_dir, brokers=1, controllers=1, base_broker_port=0, controller_port=0, etcd_port=0
    ) as cluster:
        result = measure_ingest(cluster.bootstrap, total_mb=opts.total_mb,
                                partitions=opts.partitions, in_flight=opts.in_flight)
    if opts.json:
        print(json.dumps({"broker_ingest": result}))
    else:
        print(f"broker ingest of pre-built {result['batch_bytes'] / 1e6:.2f} MB batches: "
              f"{result['mb_per_sec']:.0f} MB/s ({result['batches_per_sec']:.0f} batches/s)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
