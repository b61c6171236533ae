"""`kanal broker decommission|wait-drained`: empty a broker before removing it.

`decommission` asks the controller to move every replica off the broker (refused, changing
nothing, when the other brokers cannot hold some topic's replication factor) and by default
waits until the broker holds nothing. `wait-drained` is what a departing Kubernetes pod's
preStop hook runs: it returns at once when nothing drains the broker (a plain restart), and
otherwise waits until the broker holds no replica.
"""

from __future__ import annotations

import time

import click

from kanal.cli import controller_rpc
from kanal.cli.context import CliContext, bootstrap_option, pass_cli
from kanal.cli.failures import CommandFailed
from kanal.cli.reassign import moves_table
from kanal.v1 import controller_pb2

DrainState = controller_pb2.DescribeBrokerDrainResponse.DrainState


@click.group()
def broker() -> None:
    """Broker lifecycle: decommissioning."""


def drain_status(bootstrap: str, broker_id: int) -> controller_pb2.DescribeBrokerDrainResponse:
    request = controller_pb2.DescribeBrokerDrainRequest(broker_id=broker_id)
    return controller_rpc.call(
        bootstrap, lambda stub, t: stub.DescribeBrokerDrain(request, timeout=t))


def _describe(status: controller_pb2.DescribeBrokerDrainResponse) -> str:
    return (f"{DrainState.Name(status.state).lower().replace('_', ' ')}: "
            f"{status.replicas} partitions still on the broker, {status.moving} moving")


def wait_drained(bootstrap: str, broker_id: int, *, timeout_s: float,
                 settle_s: float = 0.0, interval_s: float = 1.0) -> bool:
    """Wait until the broker holds no replica: True. False when it is not being drained
    for `settle_s`. CommandFailed when a decommission was refused or on timeout."""
    deadline = time.monotonic() + timeout_s
    settled = time.monotonic() + settle_s
    last = ""
    while True:
        status = drain_status(bootstrap, broker_id)
        line = _describe(status)
        if line != last:
            click.echo(f"broker {broker_id}: {line}", err=True)
            last = line
        if status.state == DrainState.DRAINED:
            return True
        if status.state == DrainState.REFUSED:
            raise CommandFailed(f"broker {broker_id} cannot be drained: {status.reason}")
        if status.state == DrainState.NOT_DRAINING and time.monotonic() >= settled:
            return False
        if time.monotonic() >= deadline:
            raise CommandFailed(f"broker {broker_id} still holds replicas after "
                                f"{timeout_s:g} s ({line})")
        time.sleep(interval_s)


@broker.command("decommission")
@click.argument("broker_id", type=click.IntRange(min=0))
@click.option("--throttle", type=click.IntRange(min=0), default=0, show_default=True,
              metavar="BYTES_PER_S", help="replication throttle for the moves, bytes/s (0: none)")
@click.option("--dry-run", is_flag=True, help="show the moves without starting them")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="wait until the broker holds no replica, showing progress")
@click.option("--timeout", "timeout_s", type=float, default=3600.0, show_default=True,
              help="with --wait: give up after this many seconds")
@bootstrap_option
@pass_cli
def decommission(cli: CliContext, broker_id: int, *, throttle: int, dry_run: bool, wait: bool,
                 timeout_s: float) -> None:
    """Move every replica off BROKER_ID so that it can be stopped and deleted. Refused when
    the remaining brokers cannot hold some topic's replication factor."""
    request = controller_pb2.DecommissionBrokerRequest(
        broker_id=broker_id, throttle_bytes_per_s=throttle, validate_only=dry_run)
    response = controller_rpc.call(
        cli.bootstrap, lambda stub, t: stub.DecommissionBroker(request, timeout=t))
    if response.moves:
        click.echo(moves_table(response.moves))
    if dry_run:
        click.echo(f"would move {len(response.moves)} partitions off broker {broker_id}")
        return
    click.echo(f"moving {len(response.moves)} partitions off broker {broker_id}")
    if wait:
        wait_drained(cli.bootstrap, broker_id, timeout_s=timeout_s)
        click.echo(f"broker {broker_id} holds no replica: it is safe to stop and delete")


@broker.command("wait-drained")
@click.argument("broker_id", type=click.IntRange(min=0))
@click.option("--timeout", "timeout_s", type=float, default=3600.0, show_default=True,
              help="give up (exit 1) after this many seconds")
@click.option("--settle", "settle_s", type=float, default=5.0, show_default=True,
              help="how long to wait for a drain to begin before concluding none will")
@bootstrap_option
@pass_cli
def wait_drained_command(cli: CliContext, broker_id: int, timeout_s: float,
                         settle_s: float) -> None:
    """Wait until BROKER_ID holds no replica when it is being drained (a Kubernetes
    scale-down); when nothing starts draining it within --settle (a restart), return. For
    Kubernetes preStop hooks."""
    if wait_drained(cli.bootstrap, broker_id, timeout_s=timeout_s, settle_s=settle_s):
        click.echo(f"broker {broker_id} holds no replica")
    else:
        click.echo(f"broker {broker_id} is not being drained")
