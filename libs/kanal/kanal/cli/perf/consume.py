"""`kanal perf consume`: kafka-consumer-perf-test for Kanal.

Reads every partition of the topic from its beginning until `--messages` records arrived (or
nothing arrived for `--timeout-ms`). `fetch_ms` is the time from the first poll to the last
record received, so the idle wait that ends a short run is not counted.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import click

from kanal.cli import clients
from kanal.cli.context import CliContext, bootstrap_option, pass_cli
from kanal.cli.perf.options import emit, json_option, reporting_interval_option
from kanal.cli.perf.stats import MB
from kanal.cli.progress import Ticker

_POLL_MS = 200


class ConsumeTally:
    """Counts shared between the polling loop and the progress ticker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.records = 0
        self.bytes = 0
        self.started = time.monotonic()
        self.last_record_at = self.started
        self._window = (self.started, 0, 0)

    def add(self, records: int, size: int) -> None:
        with self._lock:
            self.records += records
            self.bytes += size
            self.last_record_at = time.monotonic()

    def window_line(self) -> str:
        with self._lock:
            now = time.monotonic()
            since, records, size = self._window
            self._window = (now, self.records, self.bytes)
            elapsed = max(now - since, 1e-9)
            fresh, fresh_bytes = self.records - records, self.bytes - size
        return (
            f"{self.records} records consumed, {fresh / elapsed:.1f} records/sec "
            f"({fresh_bytes / MB / elapsed:.2f} MB/sec)"
        )

    def figures(self) -> dict[str, Any]:
        fetch_s = max(self.last_record_at - self.started, 1e-9) if self.records else 0.0
        return {
            "records": self.records,
            "mb": self.bytes / MB,
            "records_per_sec": self.records / fetch_s if fetch_s else 0.0,
            "mb_per_sec": self.bytes / MB / fetch_s if fetch_s else 0.0,
            "fetch_ms": round(fetch_s * 1000.0, 3),
        }


def summary_line(figures: dict[str, Any]) -> str:
    return (
        f"{figures['records']} records consumed ({figures['mb']:.2f} MB) in "
        f"{figures['fetch_ms']:.0f} ms, {figures['records_per_sec']:.1f} records/sec "
        f"({figures['mb_per_sec']:.2f} MB/sec)"
    )


@click.command("consume")
@bootstrap_option
@click.option("--topic", required=True, help="Topic to read (every partition, from the start).")
@click.option(
    "--messages", type=click.IntRange(min=1), required=True, help="Number of records to consume."
)
@click.option(
    "--timeout-ms",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Give up when no record arrives for this long.",
)
@json_option
@reporting_interval_option
@pass_cli
def perf_consume(
    cli: CliContext,
    *,
    topic: str,
    messages: int,
    timeout_ms: int,
    as_json: bool,
    reporting_interval_ms: int,
) -> None:
    """Consume records as fast as possible and report records/s, MB/s and fetch time."""
    partitions = clients.topic_partitions(cli.bootstrap, topic)
    consumer = clients.consumer(cli.bootstrap, auto_offset_reset="earliest")
    try:
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        tally = ConsumeTally()
        with Ticker(reporting_interval_ms / 1000, tally.window_line):
            while tally.records < messages:
                batches = consumer.poll(timeout_ms=_POLL_MS)
                received = [record for records in batches.values() for record in records]
                if received:
                    tally.add(len(received), sum(_size(record) for record in received))
                elif time.monotonic() - tally.last_record_at > timeout_ms / 1000:
                    click.echo(
                        f"warning: stopping before {messages} records: nothing arrived for "
                        f"{timeout_ms} ms", err=True,
                    )  # fmt: skip
                    break
    finally:
        consumer.close()
    figures = tally.figures()
    emit(figures, summary_line(figures), as_json=as_json)


def _size(record: Any) -> int:
    return len(record.key or b"") + len(record.value or b"")
