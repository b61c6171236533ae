"""`kanal consume TOPIC`: records to stdout, one per line, like kafka-console-consumer.

Without a group: the command assigns itself the partitions and starts at the end (or the
beginning, or an explicit offset), so it never disturbs a consumer group's offsets.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO

import click

from kanal import Consumer, ConsumerRecord
from kanal.cli import clients
from kanal.cli.context import CliContext, bootstrap_option, pass_cli
from kanal.cli.failures import EXIT_INTERRUPTED
from kanal.cli.interrupts import StopSignals
from kanal.cli.options import unescape_separator

_POLL_MS = 200


def format_record(
    record: ConsumerRecord, *, print_key: bool, print_offset: bool, separator: bytes
) -> bytes:
    """`[Partition:P<sep>Offset:O<sep>][key<sep>]value` (key null printed as `null`)."""
    parts: list[bytes] = []
    if print_offset:
        parts += [f"Partition:{record.partition}".encode(), f"Offset:{record.offset}".encode()]
    if print_key:
        parts.append(b"null" if record.key is None else bytes(record.key))
    parts.append(b"null" if record.value is None else bytes(record.value))
    return separator.join(parts)


@click.command()
@bootstrap_option
@click.argument("topic")
@click.option(
    "--from-beginning",
    is_flag=True,
    help="Start at the earliest offset instead of the end of each partition.",
)
@click.option("--max-messages", type=click.IntRange(min=1), help="Exit after this many records.")
@click.option(
    "--partition",
    type=click.IntRange(min=0),
    help="Read only this partition (default: every partition).",
)
@click.option(
    "--offset", type=click.IntRange(min=0), help="Start at this offset (needs --partition)."
)
@click.option("--print-key", is_flag=True, help="Print each record's key before its value.")
@click.option("--print-offset", is_flag=True, help="Print partition and offset of each record.")
@click.option(
    "--separator", default="\\t", show_default=True, help="Separator between the printed fields."
)
@click.option(
    "--timeout-ms",
    type=click.IntRange(min=1),
    help="Exit when no record arrives for this long (default: wait forever).",
)
@pass_cli
def consume(
    cli: CliContext,
    *,
    topic: str,
    from_beginning: bool,
    max_messages: int | None,
    partition: int | None,
    offset: int | None,
    print_key: bool,
    print_offset: bool,
    separator: str,
    timeout_ms: int | None,
) -> None:
    """Print the records of TOPIC on stdout; the count goes to stderr at the end."""
    if offset is not None and partition is None:
        raise click.UsageError("--offset needs --partition")
    partitions = clients.topic_partitions(cli.bootstrap, topic, partition)
    consumer = clients.consumer(cli.bootstrap, auto_offset_reset="earliest")
    out: IO[bytes] = sys.stdout.buffer
    sep = unescape_separator(separator).encode()
    printed = 0
    reading = False  # the count is reported (even after Ctrl-C) once records could arrive
    stop = StopSignals()
    try:
        consumer.assign(partitions)
        if offset is not None:
            consumer.seek(partitions[0], offset)
        elif from_beginning:
            consumer.seek_to_beginning(*partitions)
        else:
            consumer.seek_to_end(*partitions)
        reading = True
        with stop:
            printed = _print_records(
                consumer,
                out,
                stop,
                max_messages=max_messages,
                timeout_ms=timeout_ms,
                render=lambda record: format_record(
                    record, print_key=print_key, print_offset=print_offset, separator=sep
                ),
            )
    finally:
        consumer.close()
        if reading:
            click.echo(f"Processed a total of {printed} messages", err=True)
    if stop.requested:
        click.get_current_context().exit(EXIT_INTERRUPTED)


def _print_records(
    consumer: Consumer,
    out: IO[bytes],
    stop: StopSignals,
    *,
    max_messages: int | None,
    timeout_ms: int | None,
    render: Callable[[ConsumerRecord], bytes],
) -> int:
    """Write records until enough were printed, none came for `timeout_ms`, or a stop signal;
    returns how many were printed."""
    printed = 0
    last_record_at = time.monotonic()
    while not stop.requested and (max_messages is None or printed < max_messages):
        batches = consumer.poll(timeout_ms=_POLL_MS)
        for records in batches.values():
            wanted = records if max_messages is None else records[: max_messages - printed]
            out.write(b"".join(render(record) + b"\n" for record in wanted))
            printed += len(wanted)
        if batches:
            out.flush()
            last_record_at = time.monotonic()
        elif timeout_ms is not None and time.monotonic() - last_record_at > timeout_ms / 1000:
            break
    return printed
