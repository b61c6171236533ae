"""`kanal produce TOPIC`: one record per stdin line, like kafka-console-producer."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from typing import IO, Any

import click

from kanal.cli import clients
from kanal.cli.context import CliContext, bootstrap_option, pass_cli
from kanal.cli.failures import CommandFailed
from kanal.cli.options import (
    acks_option,
    compression_argument,
    compression_option,
    parse_acks,
    unescape_separator,
)
from kanal.cli.progress import Ticker
from kanal.errors import KanalError

_PROGRESS_S = 5.0


def read_records(
    stream: IO[bytes], separator: bytes | None
) -> Iterator[tuple[bytes | None, bytes]]:
    """(key, value) per line; the line ending (\\n or \\r\\n) is not part of the value.

    With a separator, the key is what precedes its first occurrence; a line without it is an
    error (as in kafka-console-producer with parse.key=true), reported with its line number.
    """
    for number, raw in enumerate(stream, start=1):
        line = raw.rstrip(b"\n").removesuffix(b"\r")
        if separator is None:
            yield None, line
            continue
        key, found, value = line.partition(separator)
        if not found:
            raise CommandFailed(
                f"line {number} has no key separator {separator.decode(errors='replace')!r}"
            )
        yield key, value


class Delivery:
    """Acknowledged and failed sends, counted from the client's I/O thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent = 0
        self.acked = 0
        self.bytes = 0
        self.errors: list[KanalError] = []

    def ack(self, size: int, _metadata: object) -> None:
        with self._lock:
            self.acked += 1
            self.bytes += size

    def fail(self, error: KanalError) -> None:
        with self._lock:
            self.errors.append(error)

    def progress(self) -> str | None:
        if not self.sent:
            return None
        return f"... {self.acked} of {self.sent} records acknowledged"


@click.command()
@bootstrap_option
@click.argument("topic")
@click.option(
    "--key-separator",
    metavar="SEP",
    help="Split each line at the first SEP into key and value (\\t for a tab).",
)
@acks_option
@compression_option
@click.option(
    "--partition",
    type=click.IntRange(min=0),
    help="Send every record to this partition (default: by key, or sticky).",
)
@click.option(
    "--linger-ms",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="How long the producer waits to fill a batch.",
)
@pass_cli
def produce(
    cli: CliContext,
    *,
    topic: str,
    key_separator: str | None,
    acks: str,
    compression: str,
    partition: int | None,
    linger_ms: int,
) -> None:
    """Send each line of stdin as a record to TOPIC; a summary goes to stderr."""
    separator = unescape_separator(key_separator).encode() if key_separator else None
    clients.topic_partitions(cli.bootstrap, topic, partition)  # fail now, not after 60 s
    producer = clients.producer(
        cli.bootstrap,
        acks=parse_acks(acks),
        compression_type=compression_argument(compression),
        linger_ms=linger_ms,
    )
    delivery = Delivery()
    started = time.monotonic()
    try:
        with Ticker(_PROGRESS_S, delivery.progress):
            for key, value in read_records(sys.stdin.buffer, separator):
                options: dict[str, Any] = {"key": key, "value": value}
                if partition is not None:
                    options["partition"] = partition
                future = producer.send(topic, **options)
                delivery.sent += 1
                size = len(value) + len(key or b"")
                future.add_callback(lambda metadata, size=size: delivery.ack(size, metadata))
                future.add_errback(delivery.fail)
            producer.flush()
    finally:
        producer.close()
    elapsed = time.monotonic() - started
    click.echo(
        f"produced {delivery.acked} records ({delivery.bytes} bytes) to {topic} "
        f"in {elapsed:.2f}s", err=True,
    )  # fmt: skip
    if delivery.errors:
        raise CommandFailed(
            f"{len(delivery.errors)} of {delivery.sent} records failed; first: {delivery.errors[0]}"
        )
