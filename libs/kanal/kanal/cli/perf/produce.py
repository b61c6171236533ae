"""`kanal perf produce`: kafka-producer-perf-test for Kanal.

Latency is send-to-acknowledgement per record: the time `send()` was called to the time the
record's acknowledgement reached the client (completions arrive per batch, so records of one
batch share the completion time, as in Kafka's tool; acks.py times them per batch).

Before the timed loop the process freezes its start-up heap, as the services do
(kanal.startup_heap): a measuring tool should not time a 25-80 ms full collection over the
objects its imports left behind.
"""

from __future__ import annotations

import random
import time
from typing import Any

import click

from kanal.cli import clients
from kanal.cli.context import CliContext, bootstrap_option, pass_cli
from kanal.cli.failures import CommandFailed
from kanal.cli.options import acks_option, compression_argument, compression_option, parse_acks
from kanal.cli.perf.acks import AckTimer
from kanal.cli.perf.options import emit, json_option, reporting_interval_option
from kanal.cli.perf.stats import LatencyStats, summary_line
from kanal.cli.perf.throttle import ThroughputThrottler
from kanal.cli.progress import Ticker
from kanal.errors import KanalError
from kanal.startup_heap import freeze_startup_heap


def random_payload(size: int, seed: int | None = None) -> bytes:
    """Kafka's default payload: `size` random uppercase ASCII letters."""
    chooser = random.Random(seed)
    return bytes(chooser.randrange(65, 91) for _ in range(size))


@click.command("produce")
@bootstrap_option
@click.option("--topic", required=True, help="Topic to produce to (it must exist).")
@click.option(
    "--num-records", type=click.IntRange(min=1), required=True, help="Number of records to send."
)
@click.option(
    "--record-size",
    type=click.IntRange(min=0),
    required=True,
    help="Size of each record's value in bytes.",
)
@acks_option
@click.option(
    "--throughput",
    type=float,
    default=-1,
    show_default=True,
    help="Target records/sec (throttled like Kafka's tool); -1: unlimited.",
)
@click.option("--batch-size", type=click.IntRange(min=1), help="Producer batch.size in bytes.")
@click.option("--linger-ms", type=click.IntRange(min=0), help="Producer linger.ms.")
@compression_option
@json_option
@reporting_interval_option
@pass_cli
def perf_produce(
    cli: CliContext,
    *,
    topic: str,
    num_records: int,
    record_size: int,
    acks: str,
    throughput: float,
    batch_size: int | None,
    linger_ms: int | None,
    compression: str,
    as_json: bool,
    reporting_interval_ms: int,
) -> None:
    """Send records as fast as allowed and report records/s, MB/s and ack latency."""
    options: dict[str, Any] = {
        "acks": parse_acks(acks),
        "compression_type": compression_argument(compression),
    }
    if batch_size is not None:
        options["batch_size"] = batch_size
    if linger_ms is not None:
        options["linger_ms"] = linger_ms
    clients.topic_partitions(cli.bootstrap, topic)  # a missing topic fails now, not in 60 s
    producer = clients.producer(cli.bootstrap, **options)
    payload = random_payload(record_size)
    freeze_startup_heap()
    stats = LatencyStats(num_records)
    first_error: list[KanalError] = []

    def failed(error: KanalError) -> None:
        stats.record_error()
        if not first_error:
            first_error.append(error)

    ack_timer = AckTimer(stats, record_size, failed)
    try:
        throttler = ThroughputThrottler(throughput, time.monotonic_ns())
        with Ticker(reporting_interval_ms / 1000, lambda: stats.take_window().line()):
            for index in range(num_records):
                sent_at = time.monotonic()
                ack_timer.sent(producer.send(topic, value=payload), index, sent_at)
                if throttler.should_throttle(index + 1, time.monotonic_ns()):
                    throttler.throttle()
            producer.flush()
        finished = time.monotonic()
    finally:
        producer.close()
    figures = stats.summary(finished)
    emit(figures, summary_line(figures), as_json=as_json)
    if first_error:
        raise CommandFailed(
            f"{stats.errors} of {num_records} records failed; first: {first_error[0]}"
        )
