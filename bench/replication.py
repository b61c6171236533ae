"""Replication figures of issue 3, all from one run so the ratio compares like with like.

    python bench/replication.py [--num-records 300000] [--latency-runs 3] [--json]

One dev cluster of 3 brokers (and one controller) on loopback, 100-byte values, one producer
process at a time:

1. RF=1, acks=1 produce rate (the baseline);
2. RF=3, acks=all, idempotent produce rate (target >= 100,000 records/s) and its ratio to 1;
3. p99 produce latency at a steady 5,000 records/s, RF=3, acks=all (target <= 10 ms): the
   median of `--latency-runs` windows of `--latency-seconds`, every window printed (one
   window's p99 moves with whatever else the machine runs at that moment);
4. recovery: a producer sends at a steady rate to the RF=3 topic, the partition leader's
   broker is killed with SIGKILL, and the time from the kill to the first acknowledgement of
   a record sent after it is measured (target <= 2 x the broker session timeout), along with
   the number of records that failed (expected 0: the producer retries).

The machine this runs on may be shared: figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from kanal import Admin, NewTopic, Producer
from kanal.devcluster.cluster import DevCluster
from kanal.errors import InvalidReplicationFactor

BASELINE, REPLICATED, LATENCY, RECOVERY = "rf1", "rf3", "rf3-latency", "rf3-recovery"


def create_topics(bootstrap: str) -> None:
    wanted = [NewTopic(BASELINE, 1, 1), NewTopic(REPLICATED, 1, 3), NewTopic(LATENCY, 1, 3),
              NewTopic(RECOVERY, 1, 3, topic_configs={"min.insync.replicas": "2"})]
    deadline = time.monotonic() + 30
    with Admin(bootstrap_servers=bootstrap) as admin:
        while True:  # brokers register a moment after the cluster reports itself up
            try:
                admin.create_topics(wanted)
                break
            except InvalidReplicationFactor:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        while any(len(p.isr) < 3 for t in admin.describe_topics([w.name for w in wanted])
                  if t.name != BASELINE for p in t.partitions):
            time.sleep(0.1)


def measure_rate(bootstrap: str, topic: str, num_records: int, **configs: Any) -> dict[str, float]:
    value = os.urandom(100)
    with Producer(bootstrap_servers=bootstrap, linger_ms=5, **configs) as producer:
        producer.partitions_for(topic)
        started = time.perf_counter()
        for _ in range(num_records):
            producer.send(topic, value)
        producer.flush(timeout=300)
        elapsed = time.perf_counter() - started
        errors = producer.metrics()["producer-metrics"]["record-error-total"]
    return {"records_per_sec": num_records / elapsed, "errors": float(errors)}


def measure_latency(bootstrap: str, seconds: int) -> dict[str, Any]:
    command = [
        sys.executable, "-m", "kanal.cli", "--bootstrap", bootstrap, "perf", "produce",
        "--topic", LATENCY, "--num-records", str(5000 * seconds), "--record-size", "100",
        "--acks", "all", "--throughput", "5000", "--linger-ms", "0", "--json",
        "--reporting-interval-ms", "0",
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out)
    return result


def median_latency(windows: list[dict[str, Any]]) -> dict[str, Any]:
    """The window with the median p99 (the lower middle one of an even count)."""
    p99s = [w["latency_ms"]["p99"] for w in windows]
    return windows[p99s.index(statistics.median_low(p99s))]


def leader_of(bootstrap: str, topic: str) -> int:
    with Admin(bootstrap_servers=bootstrap) as admin:
        return admin.describe_topics([topic])[0].partitions[0].leader


def measure_recovery(cluster: DevCluster, rate: int) -> dict[str, float]:
    """Kill the leader mid-stream; seconds until a record sent after the kill is acked."""
    leader = leader_of(cluster.bootstrap, RECOVERY)
    killed_at: list[float] = []
    first_ack_after_kill: list[float] = []
    failures = 0
    lock = threading.Lock()

    def acked(sent_at: float, _metadata: object) -> None:
        now = time.monotonic()
        with lock:
            if killed_at and sent_at > killed_at[0] and not first_ack_after_kill:
                first_ack_after_kill.append(now)

    def failed(_sent_at: float, _error: BaseException) -> None:
        nonlocal failures
        with lock:
            failures += 1

    with Producer(bootstrap_servers=cluster.bootstrap, acks="all", linger_ms=0,
                  delivery_timeout_ms=120_000) as producer:
        producer.partitions_for(RECOVERY)
        interval = 1.0 / rate
        next_send = time.monotonic()
        started = next_send
        while True:
            now = time.monotonic()
            if not killed_at and now - started >= 2.0:
                cluster.kill(f"broker-{leader}")
                killed_at.append(time.monotonic())
            if first_ack_after_kill or now - started > 120:
                break
            if now < next_send:
                time.sleep(min(next_send - now, 0.01))
                continue
            producer.send(RECOVERY, b"r" * 100).add_callback(acked, now).add_errback(failed, now)
            next_send += interval
        producer.flush(timeout=120)
    recovery = first_ack_after_kill[0] - killed_at[0] if first_ack_after_kill else float("nan")
    return {"killed_broker": float(leader), "recovery_seconds": recovery,
            "failed_records": float(failures)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-records", type=int, default=300_000)
    parser.add_argument("--latency-seconds", type=int, default=10)
    parser.add_argument("--latency-runs", type=int, default=3)
    parser.add_argument("--session-timeout-ms", type=int, default=6000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir, DevCluster(
        data_dir, brokers=3, controllers=1, base_broker_port=0, controller_port=0, etcd_port=0,
        session_timeout_ms=opts.session_timeout_ms,
    ) as cluster:
        create_topics(cluster.bootstrap)
        baseline = measure_rate(cluster.bootstrap, BASELINE, opts.num_records, acks="1")
        replicated = measure_rate(cluster.bootstrap, REPLICATED, opts.num_records, acks="all",
                                  enable_idempotence=True)
        windows = [measure_latency(cluster.bootstrap, opts.latency_seconds)
                   for _ in range(opts.latency_runs)]
        latency = median_latency(windows)
        recovery = measure_recovery(cluster, rate=2000)
    result = {
        "rf1_acks1": baseline, "rf3_acks_all_idempotent": replicated,
        "rf3_to_rf1_ratio": replicated["records_per_sec"] / baseline["records_per_sec"],
        "latency_rf3_acks_all_at_5000_per_sec": latency,
        "latency_p99_ms_per_window": [w["latency_ms"]["p99"] for w in windows],
        "leader_kill": recovery,
        "session_timeout_ms": opts.session_timeout_ms,
    }
    if opts.json:
        print(json.dumps(result))
        return 0
    lat = latency["latency_ms"]
    print(f"RF=1 acks=1             {baseline['records_per_sec']:>10,.0f} records/s")
    print(f"RF=3 acks=all idem.     {replicated['records_per_sec']:>10,.0f} records/s   "
          f"(target 100,000; {result['rf3_to_rf1_ratio']:.2f}x of RF=1)")
    print(f"p99 at 5,000/s RF=3     {lat['p99']:>10.2f} ms          (target 10; p50 "
          f"{lat['p50']:.2f}, p999 {lat['p999']:.2f}; median of windows with p99 "
          f"{', '.join(f'{p:.2f}' for p in result['latency_p99_ms_per_window'])})")
    print(f"leader kill -> acks     {recovery['recovery_seconds']:>10.2f} s           (target "
          f"<= {2 * opts.session_timeout_ms / 1000:.0f} s = 2 x session timeout; "
          f"{recovery['failed_records']:.0f} records failed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
