"""Broker memory while one partition grows from 1 GB to 5 GB on disk.

    python bench/broker_rss.py [--gigabytes 5] [--segment-mb 256] [--json]

Starts a dev cluster with one broker, then sends pre-built ~1 MiB batches over raw gRPC
Produce calls into one partition, sampling the broker process's RSS (VmRSS) at every
gigabyte. The log keeps data on disk and in the page cache, not in Python objects, so RSS
should stay flat: the figure to read is the growth between the 1 GB and the last sample
(target: within 50 MB). Data goes to a temporary directory removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

import grpc
from broker_ingest import build_batch
from kanal import Admin, NewTopic
from kanal.devcluster.cluster import DevCluster
from kanal.v1 import broker_pb2, broker_pb2_grpc

TOPIC = "rss"
GB = 1024**3


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def grow(bootstrap: str, pid: int, gigabytes: int, batch: bytes) -> list[dict[str, float]]:
    options = [("grpc.max_send_message_length", 64 << 20)]
    async with grpc.aio.insecure_channel(bootstrap, options=options) as channel:
        stub = broker_pb2_grpc.BrokerStub(channel)
        request = broker_pb2.ProduceRequest(acks=1, timeout_ms=30_000, topics=[
            broker_pb2.TopicProduceData(topic=TOPIC, partitions=[
                broker_pb2.PartitionProduceData(partition=0, records=batch)])])
        samples = [{"gb": 0.0, "rss_mb": rss_mb(pid)}]
        written = 0
        next_mark = GB
        while written < gigabytes * GB:
            # Two requests in flight keep the broker busy without letting the client run ahead.
            replies = await asyncio.gather(stub.Produce(request), stub.Produce(request))
            for reply in replies:
                code = reply.topics[0].partitions[0].error_code
                if code != 0:
                    raise RuntimeError(f"produce failed with error code {code}")
            written += 2 * len(batch)
            if written >= next_mark:
                samples.append({"gb": written / GB, "rss_mb": rss_mb(pid)})
                next_mark += GB
        return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=int, default=5)
    parser.add_argument("--segment-mb", type=int, default=256)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir, DevCluster(
        data_dir, brokers=1, controllers=1, base_broker_port=0, controller_port=0, etcd_port=0
    ) as cluster:
        with Admin(bootstrap_servers=cluster.bootstrap) as admin:
            admin.create_topics([NewTopic(TOPIC, 1, 1, topic_configs={
                "segment.bytes": str(opts.segment_mb * 1024 * 1024)})])
        broker = next(s for s in cluster.endpoints.services if s.name == "broker-1")
        assert broker.pid is not None
        samples = asyncio.run(grow(cluster.bootstrap, broker.pid, opts.gigabytes,
                                   build_batch(100)))
    at_1gb = next(s["rss_mb"] for s in samples if s["gb"] >= 1)
    growth = samples[-1]["rss_mb"] - at_1gb
    result = {"samples": samples, "rss_growth_mb_from_1gb": growth}
    if opts.json:
        print(json.dumps({"broker_rss": result}))
        return 0
    for sample in samples:
        print(f"{sample['gb']:5.2f} GB on disk   broker RSS {sample['rss_mb']:7.1f} MB")
    print(f"RSS growth from 1 GB to {samples[-1]['gb']:.1f} GB: {growth:+.1f} MB (target <= 50)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
