"""`kanal perf produce|consume`: throughput and latency figures like Kafka's perf-test tools."""

from __future__ import annotations

import click

from kanal.cli.perf.consume import perf_consume
from kanal.cli.perf.produce import perf_produce


@click.group()
def perf() -> None:
    """Measure throughput (records/s, MB/s) and latency percentiles."""


perf.add_command(perf_produce)
perf.add_command(perf_consume)
