"""Every cluster-core figure in one run, so that ratios compare like with like.

    python bench/cluster_core.py [--num-records 500000] [--ingest-mb 1024] [--rounds 3] [--json]

One dev cluster (etcd, one controller, one broker) on loopback, 100-byte values, no
compression, acks=1, one producer process:

1. `Producer.send()` records/s until all are acknowledged (target >= 250,000/s);
2. a Consumer reading them back, records/s (target >= 400,000/s);
3. Redis Streams, pipelined XADD of the same records with redis-py, and our produce rate as a
   ratio to it (target >= 4x). Produce and XADD runs alternate (`--rounds`, median of each),
   so that on a shared machine both sides meet the same load;
4. broker ingest of pre-built ~1 MiB batches, MB/s (target >= 150 MB/s);
5. produce latency at a steady 5,000 records/s with linger_ms=0 (target p99 <= 5 ms), from
   `kanal perf produce`.

The machine this runs on may be shared: figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from broker_ingest import measure_ingest
from kanal import Admin, NewTopic
from kanal.devcluster.cluster import DevCluster
from produce_consume import TOPIC, create_topic, measure_consume, measure_produce
from redis_streams import measure_xadd


def measure_latency(bootstrap: str, rate: int, seconds: int) -> dict[str, Any]:
    with Admin(bootstrap_servers=bootstrap) as admin:
        admin.create_topics([NewTopic("latency", 1, 1)])
    command = [
        sys.executable, "-m", "kanal.cli", "--bootstrap", bootstrap, "perf", "produce",
        "--topic", "latency", "--num-records", str(rate * seconds), "--record-size", "100",
        "--acks", "1", "--throughput", str(rate), "--linger-ms", "0", "--json",
        "--reporting-interval-ms", "0",
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median records/s (the lower middle one of an even count)."""
    rates = sorted(run["records_per_sec"] for run in runs)
    middle = statistics.median_low(rates)
    return next(run for run in runs if run["records_per_sec"] == middle)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-records", type=int, default=500_000)
    parser.add_argument("--ingest-mb", type=int, default=1024)
    parser.add_argument("--latency-seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternated produce and Redis XADD runs (medians are reported)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    opts = parser.parse_args()
    client_args = argparse.Namespace(
        num_records=opts.num_records, record_size=100, partitions=1, acks=1, linger_ms=5,
        batch_size=16_384, max_poll_records=500, compression="none")
    with tempfile.TemporaryDirectory() as data_dir, DevCluster(
        data_dir, brokers=1, controllers=1, base_broker_port=0, controller_port=0, etcd_port=0
    ) as cluster:
        create_topic(cluster.bootstrap, 1)
        produce_runs: list[dict[str, float]] = []
        redis_runs: list[dict[str, float]] = []
        for _ in range(max(1, opts.rounds)):
            produce_runs.append(measure_produce(cluster.bootstrap, client_args))
            redis_runs.append(measure_xadd(opts.num_records, 100))
        consume = measure_consume(cluster.bootstrap, client_args)
        ingest = measure_ingest(cluster.bootstrap, total_mb=opts.ingest_mb)
        latency = measure_latency(cluster.bootstrap, 5000, opts.latency_seconds)
    produce, redis = median_run(produce_runs), median_run(redis_runs)
    result = {
        "produce": produce, "consume": consume, "redis_xadd": redis,
        "produce_to_redis_ratio": produce["records_per_sec"] / redis["records_per_sec"],
        "produce_runs": produce_runs, "redis_xadd_runs": redis_runs,
        "broker_ingest": ingest, "latency_at_5000_per_sec": latency, "topic": TOPIC,
    }
    if opts.json:
        print(json.dumps(result))
        return 0
    lat = latency["latency_ms"]
    rounds = ", ".join(f"{r['records_per_sec']:,.0f}" for r in produce_runs)
    print(f"produce        {produce['records_per_sec']:>10,.0f} records/s   (target 250,000; "
          f"runs {rounds})")
    print(f"consume        {consume['records_per_sec']:>10,.0f} records/s   (target 400,000)")
    rounds = ", ".join(f"{r['records_per_sec']:,.0f}" for r in redis_runs)
    print(f"redis XADD     {redis['records_per_sec']:>10,.0f} records/s   "
          f"ratio {result['produce_to_redis_ratio']:.2f}x (target 4x; runs {rounds})")
    print(f"broker ingest  {ingest['mb_per_sec']:>10,.0f} MB/s        (target 150)")
    print(f"latency @5000/s linger 0: avg {lat['avg']:.2f} p50 {lat['p50']:.2f} "
          f"p99 {lat['p99']:.2f} p99.9 {lat['p999']:.2f} ms (target p99 <= 5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
