"""`kanal partitions elect-leaders`: move leadership to preferred replicas, or (unclean)
revive a leaderless partition with an out-of-sync replica."""

from __future__ import annotations

import click

from kanal.cli import clients
from kanal.cli.context import CliContext, bootstrap_option, pass_cli
from kanal.cli.failures import CommandFailed
from kanal.cli.reassign import reassign
from kanal.cli.table import render_table

UNCLEAN_WARNING = (
    "Warning: an unclean election makes a replica that may be behind the lost in-sync ones "
    "the leader: acknowledged writes it does not hold are lost for good.")


@click.group()
def partitions() -> None:
    """Partition leadership and reassignment."""


partitions.add_command(reassign)


@partitions.command("elect-leaders")
@click.option("--topic", help="only this topic's partitions (required with --unclean)")
@click.option("--partition", type=click.IntRange(min=0), help="only this partition of --topic")
@click.option("--unclean", is_flag=True,
              help="elect any live replica of a leaderless partition, even outside the ISR "
                   "(can lose acknowledged data)")
@click.option("--yes", is_flag=True, help="confirm an --unclean election")
@bootstrap_option
@pass_cli
def elect_leaders(cli: CliContext, topic: str | None, partition: int | None, unclean: bool,
                  yes: bool) -> None:
    """Move each partition's leadership to its preferred (first) replica when that replica
    is live and in sync; with --unclean, revive leaderless partitions of --topic."""
    if partition is not None and topic is None:
        raise click.UsageError("--partition needs --topic")
    if unclean:
        if topic is None:
            raise click.UsageError("--unclean needs --topic (and optionally --partition)")
        click.echo(UNCLEAN_WARNING, err=True)
        if not yes:
            raise click.UsageError("add --yes to run an unclean election")
    targets = None
    if topic is not None:
        targets = [(tp.topic, tp.partition)
                   for tp in clients.topic_partitions(cli.bootstrap, topic, partition)]
    with clients.admin(cli.bootstrap) as admin:
        results = admin.elect_leaders("unclean" if unclean else "preferred", targets)
    rows = [[r.topic, r.partition, r.leader,
             str(r.error) if r.error else ("elected" if r.elected else "unchanged")]
            for r in sorted(results, key=lambda r: (r.topic, r.partition))]
    click.echo(render_table(["TOPIC", "PARTITION", "LEADER", "RESULT"], rows))
    failed = sum(1 for r in results if r.error is not None)
    if failed:
        raise CommandFailed(f"{failed} of {len(results)} partitions could not be elected")
