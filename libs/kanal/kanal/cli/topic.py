"""`kanal topic create|list|describe|alter|delete`, like kafka-topics."""

from __future__ import annotations

import click

from kanal import ConfigResource, ConfigResourceType, NewTopic
from kanal.cli import clients
from kanal.cli.context import CliContext, bootstrap_option, pass_cli
from kanal.cli.options import parse_config_pairs
from kanal.cli.table import render_pairs, render_table

config_option = click.option(
    "--config", "configs", metavar="NAME=VALUE", multiple=True,
    help="A topic config such as retention.ms=86400000; repeat for more.",
)  # fmt: skip


@click.group()
def topic() -> None:
    """Create, list, describe, alter and delete topics."""


@topic.command()
@bootstrap_option
@click.argument("name")
@click.option(
    "--partitions",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Number of partitions.",
)
@click.option(
    "--replication-factor",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Replicas of each partition (at most the number of brokers).",
)
@config_option
@pass_cli
def create(
    cli: CliContext, name: str, partitions: int, replication_factor: int, configs: tuple[str, ...]
) -> None:
    """Create topic NAME."""
    new = NewTopic(name, partitions, replication_factor, topic_configs=parse_config_pairs(configs))
    with clients.admin(cli.bootstrap) as admin:
        admin.create_topics([new])
    click.echo(f"Created topic {name}.")


@topic.command("list")
@bootstrap_option
@click.option("--internal", is_flag=True, help="Include internal topics (__consumer_offsets).")
@pass_cli
def list_topics(cli: CliContext, internal: bool) -> None:
    """Print every topic name, one per line."""
    with clients.admin(cli.bootstrap) as admin:
        if internal:
            names = [d.name for d in admin.describe_topics(None, include_internal=True)]
        else:
            names = admin.list_topics()
    for name in sorted(names):
        click.echo(name)


@topic.command()
@bootstrap_option
@click.argument("name")
@pass_cli
def describe(cli: CliContext, name: str) -> None:
    """Show the partitions of NAME (leader, replicas, in-sync replicas) and its configs."""
    with clients.admin(cli.bootstrap) as admin:
        (described,) = admin.describe_topics([name])
    partitions = sorted(described.partitions, key=lambda p: p.partition)
    configs = ",".join(f"{k}={v}" for k, v in sorted(described.configs.items()))
    header = render_pairs([
        ("Topic", described.name),
        ("TopicId", described.topic_id),
        ("PartitionCount", len(partitions)),
        ("ReplicationFactor", len(partitions[0].replicas) if partitions else 0),
        ("Configs", configs or "(defaults)"),
    ])  # fmt: skip
    rows = [[p.partition, p.leader, list(p.replicas), list(p.isr)] for p in partitions]
    click.echo(header + "\n\n" + render_table(["PARTITION", "LEADER", "REPLICAS", "ISR"], rows))


@topic.command()
@bootstrap_option
@click.argument("name")
@config_option
@click.option(
    "--delete-config",
    "deleted",
    metavar="NAME",
    multiple=True,
    help="Return a config to its default; repeat for more.",
)
@pass_cli
def alter(cli: CliContext, name: str, configs: tuple[str, ...], deleted: tuple[str, ...]) -> None:
    """Set or remove configs of topic NAME."""
    changes = parse_config_pairs(configs)
    if not changes and not deleted:
        raise click.UsageError("nothing to change: give --config NAME=VALUE or --delete-config")
    change = ConfigResource(ConfigResourceType.TOPIC, name, configs=changes, delete=deleted)
    with clients.admin(cli.bootstrap) as admin:
        admin.alter_configs([change])
    click.echo(f"Updated configs of topic {name}.")


@topic.command()
@bootstrap_option
@click.argument("name")
@pass_cli
def delete(cli: CliContext, name: str) -> None:
    """Delete topic NAME and all its data."""
    with clients.admin(cli.bootstrap) as admin:
        admin.delete_topics([name])
    click.echo(f"Deleted topic {name}.")
