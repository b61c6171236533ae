"""`kanal partitions reassign`: move partitions between brokers (Kafka's
kafka-reassign-partitions), from a plan in Kafka's reassignment JSON or a balanced plan the
controller computes over every live broker; progress until done with `--wait`.

Kafka's JSON: {"version": 1, "partitions": [{"topic": "t", "partition": 0,
"replicas": [1, 2, 3]}, ...]} ("log_dirs" is accepted and ignored: one log dir per broker).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click

from kanal.cli import controller_rpc
from kanal.cli.context import CliContext, bootstrap_option, pass_cli
from kanal.cli.failures import CommandFailed
from kanal.cli.table import render_table
from kanal.errors import error_for_code
from kanal.v1 import controller_pb2

Key = tuple[str, int]


def parse_plan(text: str) -> dict[Key, list[int]]:
    """Kafka's reassignment JSON -> {(topic, partition): replicas}; click errors when bad."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}") from None
    entries = document.get("partitions") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise click.BadParameter('expected {"version": 1, "partitions": [...]} with entries')
    plan: dict[Key, list[int]] = {}
    for entry in entries:
        try:
            topic, partition, replicas = entry["topic"], entry["partition"], entry["replicas"]
        except (KeyError, TypeError):
            raise click.BadParameter(
                f"each partition needs topic, partition and replicas: {entry!r}") from None
        if (not isinstance(topic, str) or not isinstance(partition, int)
                or not isinstance(replicas, list)
                or not all(isinstance(b, int) for b in replicas)):
            raise click.BadParameter(f"bad types in {entry!r}")
        if (topic, partition) in plan:
            raise click.BadParameter(f"{topic}-{partition} is listed twice")
        plan[(topic, partition)] = replicas
    return plan


def plan_json(plan: dict[Key, list[int]]) -> str:
    return json.dumps({"version": 1, "partitions": [
        {"topic": t, "partition": p, "replicas": r} for (t, p), r in sorted(plan.items())]})


def list_moving(bootstrap: str, topics: Iterable[str] = ()
                ) -> list[controller_pb2.OngoingReassignment]:
    request = controller_pb2.ListPartitionReassignmentsRequest(topics=sorted(set(topics)))
    response = controller_rpc.call(
        bootstrap, lambda stub, t: stub.ListPartitionReassignments(request, timeout=t))
    return list(response.reassignments)


def progress_line(moving: Sequence[controller_pb2.OngoingReassignment], total: int) -> str:
    adding = sum(len(m.adding_replicas) for m in moving)
    in_sync = sum(1 for m in moving for b in m.adding_replicas if b in m.isr)
    return (f"{total - len(moving)}/{total} partitions moved; new replicas in sync: "
            f"{in_sync}/{adding}")


def wait_until_moved(bootstrap: str, keys: set[Key], timeout_s: float,
                     interval_s: float = 1.0) -> None:
    """Print progress on stderr until none of `keys` is moving; CommandFailed on timeout."""
    deadline = time.monotonic() + timeout_s
    last = ""
    while True:
        moving = [m for m in list_moving(bootstrap, {t for t, _ in keys})
                  if (m.topic, m.partition) in keys]
        line = progress_line(moving, len(keys))
        if line != last:
            click.echo(line, err=True)
            last = line
        if not moving:
            return
        if time.monotonic() >= deadline:
            raise CommandFailed(f"still moving after {timeout_s:g} s: {line}")
        time.sleep(interval_s)


def moves_table(moves: Iterable[controller_pb2.PartitionMove]) -> str:
    rows = [[m.topic, m.partition, list(m.current_replicas), list(m.target_replicas)]
            for m in moves]
    return render_table(["TOPIC", "PARTITION", "CURRENT", "TARGET"], rows)


def _alter(bootstrap: str, plan: dict[Key, list[int] | None], throttle: int,
           validate_only: bool) -> None:
    request = controller_pb2.AlterPartitionReassignmentsRequest(
        throttle_bytes_per_s=throttle, validate_only=validate_only, partitions=[
            controller_pb2.ReassignmentTarget(topic=t, partition=p, replicas=r or [],
                                              cancel=r is None)
            for (t, p), r in sorted(plan.items())])
    response = controller_rpc.call(
        bootstrap, lambda stub, t: stub.AlterPartitionReassignments(request, timeout=t))
    failed = [(r.topic, r.partition, error_for_code(r.error_code, r.error_message))
              for r in response.results if r.error_code]
    for topic, partition, error in failed:
        click.echo(f"{topic}-{partition}: {error}", err=True)
    if failed:
        raise CommandFailed(f"{len(failed)} of {len(plan)} partitions were refused")


@click.command("reassign")
@click.option("--reassignment-json-file", "plan_file", type=click.Path(
    exists=True, dir_okay=False, path_type=Path),
    help="the plan, in Kafka's reassignment JSON format")
@click.option("--rebalance", is_flag=True,
              help="let the controller spread every partition evenly over the live brokers")
@click.option("--exclude-broker", "excluded", type=int, multiple=True,
              help="with --rebalance: move everything off this broker too (repeatable)")
@click.option("--throttle", type=click.IntRange(min=0), default=0, show_default=True,
              metavar="BYTES_PER_S",
              help="replication throttle for the new replicas, bytes/s (0: none)")
@click.option("--dry-run", is_flag=True,
              help="check (and with --rebalance, print) the plan without moving anything")
@click.option("--verify", is_flag=True,
              help="show the partitions still moving (of the plan file, or all)")
@click.option("--cancel", is_flag=True,
              help="cancel the moves of the plan file's partitions (or all moves)")
@click.option("--wait/--no-wait", default=False, show_default=True,
              help="wait until the moves completed, showing progress")
@click.option("--timeout", "timeout_s", type=float, default=3600.0, show_default=True,
              help="with --wait: give up after this many seconds")
@bootstrap_option
@pass_cli
def reassign(cli: CliContext, *, plan_file: Path | None, rebalance: bool, excluded: tuple[int, ...],
             throttle: int, dry_run: bool, verify: bool, cancel: bool, wait: bool,
             timeout_s: float) -> None:
    """Move partitions to new replicas. New replicas catch up first (throttled with
    --throttle); the old ones are removed only once every new one is in sync."""
    modes = sum([rebalance, verify, cancel, plan_file is not None and not (verify or cancel)])
    if modes != 1:
        raise click.UsageError(
            "give one of --reassignment-json-file, --rebalance, --verify or --cancel")
    plan = parse_plan(plan_file.read_text()) if plan_file is not None else None
    if verify:
        _verify(cli.bootstrap, plan)
    elif cancel:
        keys = set(plan) if plan else {(m.topic, m.partition) for m in list_moving(cli.bootstrap)}
        _alter(cli.bootstrap, dict.fromkeys(keys), 0, dry_run)
        click.echo(f"cancelled {len(keys)} partition moves")
    elif rebalance:
        _rebalance(cli.bootstrap, excluded, throttle=throttle, dry_run=dry_run, wait=wait,
                   timeout_s=timeout_s)
    else:
        assert plan is not None
        _alter(cli.bootstrap, dict(plan), throttle, dry_run)
        click.echo(f"{'checked' if dry_run else 'started'} {len(plan)} partition moves")
        if wait and not dry_run:
            wait_until_moved(cli.bootstrap, set(plan), timeout_s)


def _verify(bootstrap: str, plan: dict[Key, list[int]] | None) -> None:
    moving = list_moving(bootstrap, {t for t, _ in plan} if plan else ())
    if plan:
        moving = [m for m in moving if (m.topic, m.partition) in plan]
    rows: list[list[Any]] = [[m.topic, m.partition, list(m.replicas), list(m.adding_replicas),
                              list(m.removing_replicas), list(m.isr),
                              m.throttle_bytes_per_s or None] for m in moving]
    if rows:
        click.echo(render_table(["TOPIC", "PARTITION", "REPLICAS", "ADDING", "REMOVING",
                                 "ISR", "THROTTLE"], rows))
    total = len(plan) if plan else len(moving)
    click.echo(progress_line(moving, total) if total else "no partition is moving")


def _rebalance(bootstrap: str, excluded: Sequence[int], *, throttle: int, dry_run: bool,
               wait: bool, timeout_s: float) -> None:
    request = controller_pb2.RebalancePartitionsRequest(
        exclude_brokers=list(excluded), throttle_bytes_per_s=throttle, validate_only=dry_run)
    response = controller_rpc.call(
        bootstrap, lambda stub, t: stub.RebalancePartitions(request, timeout=t))
    if not response.moves:
        click.echo("already balanced: nothing to move")
        return
    click.echo(moves_table(response.moves))
    if dry_run:
        plan = {(m.topic, m.partition): list(m.target_replicas) for m in response.moves}
        click.echo(plan_json(plan))
        return
    click.echo(f"started {len(response.moves)} partition moves")
    if wait:
        wait_until_moved(bootstrap, {(m.topic, m.partition) for m in response.moves},
                         timeout_s)
