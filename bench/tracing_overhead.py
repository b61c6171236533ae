"""What tracing costs the producer: Producer.send() throughput with tracing off, on with
every record sampled, and on with 1 % sampled, against one dev-cluster broker.

    python bench/tracing_overhead.py [--num-records N] [--rounds R] [--json]

Each mode runs in a child process of its own (an OpenTelemetry tracer provider is set once
per process): "off" installs nothing (the default), "on" an SDK provider sampling every
record whose batch processor feeds an exporter that drops spans (the cost measured is
making, ending and queueing spans and the headers, not a network), "sampled-1%" the same
with parentbased_traceidratio 0.01. Modes alternate for R rounds and the median counts, so
drift on a shared machine hits them alike. The ratios to "off" are the figures to read;
besides records/s the client's CPU time per record is reported (less moved by other load).

"off" against "baseline" (the same child, the send loop written out without the tracing
branch, i.e. the code before tracing) is the cost of tracing when it is off.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence

from kanal import Admin, NewTopic, Producer
from kanal.client.futures import FutureRecordMetadata
from kanal.devcluster.cluster import DevCluster

TOPIC = "bench-tracing"
MODES = ("baseline", "off", "on", "sampled-1%")


def _install_provider(mode: str) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
    from opentelemetry.sdk.trace.sampling import ParentBasedTraceIdRatio

    class Dropping(SpanExporter):
        def export(self, spans: Sequence[object]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    sampler = ParentBasedTraceIdRatio(0.01 if mode == "sampled-1%" else 1.0)
    provider = TracerProvider(sampler=sampler)
    provider.add_span_processor(BatchSpanProcessor(Dropping(), max_queue_size=65_536))
    trace.set_tracer_provider(provider)


def _baseline_send(producer: Producer) -> Callable[[str, bytes], FutureRecordMetadata]:
    """Producer.send as it was before tracing: serialize-free append loop, no branch."""
    core, max_block_s = producer._core, producer._max_block_s

    def send(topic: str, value: bytes) -> FutureRecordMetadata:
        while True:
            result = core.append(topic, None, value, None, None, None, max_block_s)
            if type(result) is FutureRecordMetadata:
                return result
            producer._thread.run(core.ensure_topic(topic), max_block_s + 1)

    return send


def run_child(mode: str, bootstrap: str, num_records: int, record_size: int) -> None:
    if mode in ("on", "sampled-1%"):
        _install_provider(mode)
    value = os.urandom(record_size)
    with Producer(bootstrap_servers=bootstrap, acks=1, linger_ms=5) as producer:
        producer.partitions_for(TOPIC)
        send = _baseline_send(producer) if mode == "baseline" else producer.send
        cpu = time.process_time()
        started = time.perf_counter()
        for _ in range(num_records):
            send(TOPIC, value)
        producer.flush(timeout=300)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        errors = producer.metrics()["producer-metrics"]["record-error-total"]
    print(json.dumps({"records_per_sec": num_records / elapsed,
                      "cpu_us_per_record": cpu / num_records * 1e6, "errors": errors}))


def measure(mode: str, bootstrap: str, args: argparse.Namespace) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--bootstrap", bootstrap,
         "--num-records", str(args.num_records), "--record-size", str(args.record_size)],
        check=True, capture_output=True, text=True, timeout=600)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-records", type=int, default=200_000)
    parser.add_argument("--record-size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--bootstrap", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.bootstrap, args.num_records, args.record_size)
        return
    runs: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory() as data_dir, DevCluster(
        data_dir, brokers=1, controllers=1, base_broker_port=0, controller_port=0, etcd_port=0
    ) as cluster:
        with Admin(bootstrap_servers=cluster.bootstrap) as admin:
            admin.create_topics([NewTopic(TOPIC, 1, 1)])
        for _ in range(args.rounds):
            for mode in MODES:
                runs[mode].append(measure(mode, cluster.bootstrap, args))
    medians = {mode: {key: statistics.median(r[key] for r in results)
                      for key in ("records_per_sec", "cpu_us_per_record")}
               for mode, results in runs.items()}
    off = medians["off"]
    result = {
        "num_records": args.num_records, "record_size": args.record_size,
        "rounds": args.rounds, "modes": medians,
        "throughput_ratio_to_off": {m: v["records_per_sec"] / off["records_per_sec"]
                                    for m, v in medians.items()},
        "errors": sum(r["errors"] for results in runs.values() for r in results),
    }
    if args.json:
        print(json.dumps(result))
        return
    for mode, figures in medians.items():
        print(f"{mode:>11}  {figures['records_per_sec']:>10,.0f} records/s  "
              f"{figures['cpu_us_per_record']:6.2f} us CPU/record  "
              f"x{result['throughput_ratio_to_off'][mode]:.3f} of off")


if __name__ == "__main__":
    main()
