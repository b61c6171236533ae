"""`kanal cluster describe`: brokers, the active controller and the cluster id."""

from __future__ import annotations

import click

from kanal.cli import clients
from kanal.cli.context import CliContext, bootstrap_option, pass_cli
from kanal.cli.table import render_table


@click.group()
def cluster() -> None:
    """Inspect the cluster."""


@cluster.command()
@bootstrap_option
@pass_cli
def describe(cli: CliContext) -> None:
    """Print the cluster id, the active controller and every live broker."""
    with clients.admin(cli.bootstrap) as admin:
        info = admin.describe_cluster()
    click.echo(f"Cluster id: {info.cluster_id}")
    active = info.controller
    click.echo(
        "Active controller: "
        + (
            f"{active.controller_id} at {active.endpoint} (epoch {active.controller_epoch})"
            if active
            else "none (an election may be under way)"
        )
    )
    rows = [
        [b.broker_id, b.endpoint.host, b.endpoint.port, b.rack]
        for b in sorted(info.brokers, key=lambda b: b.broker_id)
    ]
    click.echo(render_table(["BROKER", "HOST", "PORT", "RACK"], rows))
