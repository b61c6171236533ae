"""The root of the `kanal` command line (entry point `kanal = kanal.cli.main:main`)."""

from __future__ import annotations

import signal
from types import FrameType

import click

from kanal.cli.broker import broker
from kanal.cli.cluster import cluster
from kanal.cli.connect import connect
from kanal.cli.consume import consume
from kanal.cli.context import BOOTSTRAP_ENV, BOOTSTRAP_HELP, DEFAULT_BOOTSTRAP, CliContext
from kanal.cli.dev import dev
from kanal.cli.failures import KanalGroup
from kanal.cli.group import group
from kanal.cli.partitions import partitions
from kanal.cli.perf import perf
from kanal.cli.produce import produce
from kanal.cli.schema import schema
from kanal.cli.topic import topic


@click.group(cls=KanalGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--bootstrap",
    envvar=BOOTSTRAP_ENV,
    default=DEFAULT_BOOTSTRAP,
    show_default=True,
    metavar="HOST:PORT[,...]",
    help=BOOTSTRAP_HELP,
)
@click.version_option(package_name="kanal", prog_name="kanal")
@click.pass_context
def cli(ctx: click.Context, bootstrap: str) -> None:
    """Kanal: Kafka's model (topics, partitions, replicated logs) as gRPC services.

    Start a local cluster with `kanal dev up`, then create topics, produce and consume.
    """
    ctx.ensure_object(CliContext).bootstrap = bootstrap


for command in (dev, topic, produce, consume, cluster, perf, group, partitions):
    cli.add_command(command)
cli.add_command(broker)
cli.add_command(schema)
cli.add_command(connect)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    # SIGTERM ends a command like Ctrl-C: clients close (a producer sends what it buffered)
    # and `consume` reports its count, instead of dying mid-write.
    signal.signal(signal.SIGTERM, _interrupt)
    cli(prog_name="kanal")
