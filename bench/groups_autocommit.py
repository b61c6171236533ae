"""Consume throughput of a group member with auto-commit against assign mode, in the same
run (target: the group figure within 10% of the assign figure).

    python bench/groups_autocommit.py [--num-records 300000] [--partitions 4] [--json]

One dev cluster (one broker) on loopback; the records (100-byte values, no compression) are
produced once. Then, alternately for `--repeat` rounds, a Consumer assigned to every
partition from the beginning, and a Consumer in a fresh group (auto_offset_reset=earliest,
enable_auto_commit=True every --auto-commit-interval-ms) each read all of them. The clock
runs from the first record to the last, so the group figure pays for its heartbeats and
commits but not for the join itself (printed apart). The best round of each mode counts.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kanal import Consumer, TopicPartition
from kanal.devcluster.cluster import DevCluster
from produce_consume import TOPIC, create_topic, measure_produce


def drain(consumer: Consumer, total: int) -> dict[str, float]:
    """Poll until `total` records: seconds to the first one, records/s after it."""
    created = time.perf_counter()
    received = 0
    first: float | None = None
    while received < total:
        for records in consumer.poll(timeout_ms=1000).values():
            if first is None and records:
                first = time.perf_counter()
            received += len(records)
    elapsed = time.perf_counter() - (first or created)
    return {"records_per_sec": received / elapsed,
            "seconds_to_first_record": (first or created) - created}


def assign_mode(bootstrap: str, opts: argparse.Namespace) -> dict[str, float]:
    consumer = Consumer(bootstrap_servers=bootstrap, max_poll_records=opts.max_poll_records)
    try:
        consumer.assign([TopicPartition(TOPIC, p) for p in range(opts.partitions)])
        consumer.seek_to_beginning()
        return drain(consumer, opts.num_records)
    finally:
        consumer.close()


def group_mode(bootstrap: str, opts: argparse.Namespace, group_id: str) -> dict[str, float]:
    consumer = Consumer(TOPIC, bootstrap_servers=bootstrap, group_id=group_id,
                        auto_offset_reset="earliest", enable_auto_commit=True,
                        auto_commit_interval_ms=opts.auto_commit_interval_ms,
                        max_poll_records=opts.max_poll_records)
    try:
        return drain(consumer, opts.num_records)
    finally:
        consumer.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-records", type=int, default=300_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--auto-commit-interval-ms", type=int, default=1000)
    parser.add_argument("--max-poll-records", type=int, default=500)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    opts = parser.parse_args()
    produce_args = argparse.Namespace(
        num_records=opts.num_records, record_size=100, partitions=opts.partitions, acks=1,
        linger_ms=5, batch_size=16_384, compression="none")
    assign_runs: list[dict[str, float]] = []
    group_runs: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as data_dir, DevCluster(
        data_dir, brokers=1, controllers=1, base_broker_port=0, controller_port=0, etcd_port=0
    ) as cluster:
        create_topic(cluster.bootstrap, opts.partitions)
        measure_produce(cluster.bootstrap, produce_args)
        for round_number in range(opts.repeat):
            assign_runs.append(assign_mode(cluster.bootstrap, opts))
            group_runs.append(group_mode(cluster.bootstrap, opts, f"bench-{round_number}"))
    best_assign = max(r["records_per_sec"] for r in assign_runs)
    best_group = max(r["records_per_sec"] for r in group_runs)
    result: dict[str, Any] = {
        "num_records": opts.num_records, "partitions": opts.partitions,
        "auto_commit_interval_ms": opts.auto_commit_interval_ms,
        "assign_records_per_sec": best_assign, "group_records_per_sec": best_group,
        "ratio": best_group / best_assign,
        "group_seconds_to_first_record": min(r["seconds_to_first_record"] for r in group_runs),
        "assign_runs": assign_runs, "group_runs": group_runs, "target_ratio": 0.9,
    }
    if opts.json:
        print(json.dumps(result))
        return 0
    print(f"{opts.num_records:,} records over {opts.partitions} partitions, best of "
          f"{opts.repeat} rounds each")
    print(f"assign mode            {best_assign:>10,.0f} records/s")
    print(f"group + auto-commit    {best_group:>10,.0f} records/s   "
          f"ratio {result['ratio']:.2f}   (target >= 0.90)")
    print(f"joining the group took {result['group_seconds_to_first_record']:.2f} s "
          f"before the first record")
    return 0


if __name__ == "__main__":
    sys.exit(main())
