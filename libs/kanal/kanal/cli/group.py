"""`kanal group list|describe|reset-offsets|delete`, like kafka-consumer-groups."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import click

from kanal.cli.context import CliContext, bootstrap_option, pass_cli
from kanal.cli.table import render_table
from kanal.client.config import parse_bootstrap
from kanal.client.group_admin import GroupAdmin, PartitionLag
from kanal.client.group_link import GroupLink
from kanal.errors import ConfigurationError
from kanal.types import TopicPartition
from kanal.v1 import group_pb2

_T = TypeVar("_T")

LAG_HEADERS = ("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
               "CONSUMER-ID", "HOST")
MEMBER_HEADERS = ("GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "EPOCH", "STATE",
                  "#PARTITIONS", "ASSIGNMENT")
STATE_HEADERS = ("GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "EPOCH",
                 "#MEMBERS")


def _admin(cli: CliContext) -> GroupAdmin:
    return GroupAdmin(parse_bootstrap(cli.bootstrap))


def _run(work: Coroutine[Any, Any, _T]) -> _T:
    return asyncio.run(work)


@click.group()
def group() -> None:
    """List, describe, reset the offsets of, and delete consumer groups."""


@group.command("list")
@bootstrap_option
@pass_cli
def list_groups(cli: CliContext) -> None:
    """Print every group with its state."""
    groups = _run(_admin(cli).list_groups())
    click.echo(render_table(("GROUP", "STATE"), [(g.group_id, g.state) for g in groups]))


@group.command()
@bootstrap_option
@click.argument("group_id")
@click.option("--members", is_flag=True, help="One line per member instead of per partition.")
@click.option("--state", is_flag=True, help="The group's state, epoch and coordinator.")
@pass_cli
def describe(cli: CliContext, group_id: str, members: bool, state: bool) -> None:
    """Show GROUP_ID's committed offsets and lag per partition (or --members, --state)."""
    admin = _admin(cli)
    if members:
        described = _run(admin.describe(group_id))
        click.echo(render_table(MEMBER_HEADERS, [_member_row(group_id, m)
                                                 for m in described.members]))
    elif state:
        click.echo(render_table(STATE_HEADERS, [_state_row(cli, group_id, admin)]))
    else:
        click.echo(render_table(LAG_HEADERS, [_lag_row(group_id, row)
                                              for row in _run(admin.lag(group_id))]))


def _lag_row(group_id: str, row: PartitionLag) -> tuple[object, ...]:
    owner = row.owner
    return (group_id, row.tp.topic, row.tp.partition, row.committed, row.log_end, row.lag,
            owner.member_id if owner else None, owner.client_host if owner else None)


def _member_row(group_id: str, member: group_pb2.GroupMember) -> tuple[object, ...]:
    owned = [f"{t.topic}:{','.join(map(str, t.partitions))}" for t in member.assignment]
    count = sum(len(t.partitions) for t in member.assignment)
    return (group_id, member.member_id, member.client_host, member.client_id or None,
            member.member_epoch, member.member_state, count, " ".join(owned) or None)


def _state_row(cli: CliContext, group_id: str, admin: GroupAdmin) -> tuple[object, ...]:
    described = _run(admin.describe(group_id))

    async def coordinator() -> str:
        link = GroupLink(parse_bootstrap(cli.bootstrap), group_id)
        try:
            return str(await link.find())
        finally:
            await link.close()

    return (group_id, _run(coordinator()), described.assignor_name, described.state,
            described.group_epoch, len(described.members))


@group.command("reset-offsets")
@bootstrap_option
@click.argument("group_id")
@click.option("--topic", required=True, help="The topic whose offsets to reset.")
@click.option("--to-earliest", is_flag=True, help="To each partition's log start.")
@click.option("--to-latest", is_flag=True, help="To each partition's log end.")
@click.option("--to-offset", type=click.IntRange(min=0), help="To this offset.")
@click.option("--shift-by", type=int, help="Move the committed offsets by N (may be < 0).")
@click.option("--execute", is_flag=True, help="Commit them (without it: a dry run).")
@pass_cli
def reset_offsets(cli: CliContext, *, group_id: str, topic: str, to_earliest: bool,
                  to_latest: bool, to_offset: int | None, shift_by: int | None,
                  execute: bool) -> None:
    """Plan (and with --execute, commit) new offsets of GROUP_ID for TOPIC. Refused while
    the group has members."""
    chosen = [to_earliest, to_latest, to_offset is not None, shift_by is not None]
    if sum(chosen) != 1:
        raise click.UsageError(
            "give exactly one of --to-earliest, --to-latest, --to-offset, --shift-by")
    admin = _admin(cli)
    plan = _run(_plan(admin, group_id, topic, to_earliest=to_earliest, to_latest=to_latest,
                      to_offset=to_offset, shift_by=shift_by))
    if execute:
        _run(admin.commit(group_id, plan))
    click.echo(render_table(("GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"),
                            [(group_id, tp.topic, tp.partition, o)
                             for tp, o in sorted(plan.items())]))
    if not execute:
        click.echo("(dry run: add --execute to commit these offsets)")


async def _plan(admin: GroupAdmin, group_id: str, topic: str, *, to_earliest: bool,
                to_latest: bool, to_offset: int | None, shift_by: int | None
                ) -> dict[TopicPartition, int]:
    described = await admin.describe_if_exists(group_id)
    if described is not None and described.members:
        raise ConfigurationError(
            f"group {group_id!r} has {len(described.members)} members; stop them first")
    tps = await admin.partitions(topic)
    starts = await admin.log_start_offsets(tps)
    ends = await admin.log_end_offsets(tps)
    if to_earliest:
        return starts
    if to_latest:
        return ends
    if to_offset is not None:
        return {tp: min(max(to_offset, starts[tp]), ends[tp]) for tp in tps}
    assert shift_by is not None
    committed = {row.tp: row.committed for row in await admin.lag(group_id)}
    return {tp: min(max((committed.get(tp) or starts[tp]) + shift_by, starts[tp]), ends[tp])
            for tp in tps}


@group.command()
@bootstrap_option
@click.argument("group_id")
@pass_cli
def delete(cli: CliContext, group_id: str) -> None:
    """Delete GROUP_ID and its committed offsets (refused while it has members)."""
    _run(_admin(cli).delete(group_id))
    click.echo(f"Deleted group {group_id}.")
