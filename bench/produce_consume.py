"""Kanal's client throughput on one broker: Producer.send() records/s and consumer records/s.

    python bench/produce_consume.py [--num-records N] [--record-size B] [--partitions P]
                                    [--acks 1] [--compression none] [--json]

Starts a dev cluster (etcd, one controller, one broker) on free loopback ports, creates the
topic, then from this one Python process:

- produce: `send()` of N records with 100-byte values (no keys), then `flush()`; records/s
  counts until every record is acknowledged (acks=1 by default), and the send loop alone is
  reported too (how fast the caller's thread is released);
- consume: a Consumer assigned to every partition from the beginning, polling until it has
  all N records back.

Besides records/s (wall clock, which other processes on the machine drag down), each side
reports the client process's CPU time per record (all its threads; the cluster runs in child
processes), a figure that load on a shared machine moves much less.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

from kanal import Admin, Consumer, NewTopic, Producer, TopicPartition
from kanal.devcluster.cluster import DevCluster
from kanal.errors import InvalidReplicationFactor

TOPIC = "bench"


def create_topic(bootstrap: str, partitions: int) -> None:
    # A just-started controller may list the broker a moment before it places replicas on it.
    deadline = time.monotonic() + 20
    with Admin(bootstrap_servers=bootstrap) as admin:
        while True:
            try:
                admin.create_topics([NewTopic(TOPIC, partitions, 1)])
                return
            except InvalidReplicationFactor:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


def measure_produce(bootstrap: str, args: argparse.Namespace) -> dict[str, float]:
    value = os.urandom(args.record_size)
    compression = None if args.compression == "none" else args.compression
    producer = Producer(
        bootstrap_servers=bootstrap, acks=args.acks, linger_ms=args.linger_ms,
        batch_size=args.batch_size, compression_type=compression,
    )
    try:
        producer.partitions_for(TOPIC)  # metadata first: not part of the measured loop
        send = producer.send
        cpu = time.process_time()
        started = time.perf_counter()
        for _ in range(args.num_records):
            send(TOPIC, value)
        sent = time.perf_counter()
        producer.flush(timeout=300)
        done = time.perf_counter()
        cpu = time.process_time() - cpu
        errors = producer.metrics()["producer-metrics"]["record-error-total"]
    finally:
        producer.close(timeout=30)
    return {
        "records": float(args.num_records),
        "records_per_sec": args.num_records / (done - started),
        "send_loop_records_per_sec": args.num_records / (sent - started),
        "mb_per_sec": args.num_records * args.record_size / (done - started) / 1e6,
        "client_cpu_us_per_record": cpu / args.num_records * 1e6,
        "errors": float(errors),
    }


def measure_consume(bootstrap: str, args: argparse.Namespace) -> dict[str, float]:
    consumer = Consumer(bootstrap_servers=bootstrap, max_poll_records=args.max_poll_records)
    try:
        consumer.assign([TopicPartition(TOPIC, p) for p in range(args.partitions)])
        consumer.seek_to_beginning()
        for tp in consumer.assignment():
            consumer.position(tp)  # resolve offsets before timing
        received = 0
        cpu = time.process_time()
        started = time.perf_counter()
        while received < args.num_records:
            for records in consumer.poll(timeout_ms=1000).values():
                received += len(records)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
    finally:
        consumer.close()
    return {
        "records": float(received),
        "records_per_sec": received / elapsed,
        "mb_per_sec": received * args.record_size / elapsed / 1e6,
        "client_cpu_us_per_record": cpu / max(1, received) * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-records", type=int, default=500_000)
    parser.add_argument("--record-size", type=int, default=100)
    parser.add_argument("--partitions", type=int, default=1)
    parser.add_argument("--acks", default="1")
    parser.add_argument("--linger-ms", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=16_384)
    parser.add_argument("--max-poll-records", type=int, default=500)
    parser.add_argument("--compression", default="none")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir, DevCluster(
        data_dir, brokers=1, controllers=1, base_broker_port=0, controller_port=0, etcd_port=0
    ) as cluster:
        create_topic(cluster.bootstrap, args.partitions)
        produce = measure_produce(cluster.bootstrap, args)
        consume = measure_consume(cluster.bootstrap, args)
    result = {
        "record_size": args.record_size, "partitions": args.partitions, "acks": args.acks,
        "compression": args.compression, "produce": produce, "consume": consume,
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"produce  {produce['records_per_sec']:>12,.0f} records/s  "
          f"{produce['mb_per_sec']:7.1f} MB/s  "
          f"{produce['client_cpu_us_per_record']:5.2f} us client CPU/record  (send() loop "
          f"alone {produce['send_loop_records_per_sec']:,.0f}/s, errors {produce['errors']:.0f})")
    print(f"consume  {consume['records_per_sec']:>12,.0f} records/s  "
          f"{consume['mb_per_sec']:7.1f} MB/s  "
          f"{consume['client_cpu_us_per_record']:5.2f} us client CPU/record")


if __name__ == "__main__":
    main()
