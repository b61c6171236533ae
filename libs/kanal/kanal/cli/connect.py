"""`kanal connect list|create|status|pause|resume|stop|restart|delete|offsets|plugins`: a connect
cluster from the command line, over Kafka Connect's REST API (any worker of the cluster; it
forwards writes to the leader).

Exit codes: 0 done, 1 refused or unreachable (the worker's error code and message are
printed), 2 bad usage.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from kanal.cli.options import parse_config_pairs
from kanal.cli.rest import CONNECT_URL_ENV, DEFAULT_CONNECT_URL, RestClient, with_url_option
from kanal.cli.table import render_table

pass_worker = click.make_pass_decorator(RestClient)


def _path(name: str, *rest: str) -> str:
    return "/".join(["/connectors", quote(name, safe=""), *rest])


@click.group()
@with_url_option("--connect-url", CONNECT_URL_ENV, DEFAULT_CONNECT_URL, "connect worker")
def connect() -> None:
    """Create, inspect and control connectors on a Kafka Connect compatible cluster."""


@connect.command("list")
@click.option("--status", "with_status", is_flag=True, help="A table with states and workers.")
@pass_worker
def list_connectors(worker: RestClient, with_status: bool) -> None:
    """Print every connector, one per line (or a status table)."""
    if not with_status:
        for name in sorted(worker.request("GET", "/connectors")):
            click.echo(name)
        return
    expanded = worker.request("GET", "/connectors", params={"expand": "status"})
    rows = []
    for name in sorted(expanded):
        status = expanded[name].get("status", {})
        tasks = status.get("tasks", [])
        running = sum(1 for task in tasks if task.get("state") == "RUNNING")
        connector = status.get("connector", {})
        rows.append(
            [name, status.get("type"), connector.get("state"), f"{running}/{len(tasks)}",
             connector.get("worker_id")]
        )  # fmt: skip
    click.echo(render_table(["CONNECTOR", "TYPE", "STATE", "TASKS RUNNING", "WORKER"], rows))


@connect.command()
@click.argument("name", required=False)
@click.option(
    "--config", "configs", metavar="KEY=VALUE", multiple=True,
    help="A connector config such as connector.class=FileStreamSource; repeat for more.",
)  # fmt: skip
@click.option(
    "--config-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON as POST /connectors takes it ({"name": ..., "config": {...}}), or a flat '
    "config object (then NAME is required).",
)  # fmt: skip
@click.option(
    "--initial-state", type=click.Choice(["RUNNING", "PAUSED", "STOPPED"], case_sensitive=False),
    help="State the connector starts in (default RUNNING).",
)  # fmt: skip
@pass_worker
def create(
    worker: RestClient,
    name: str | None,
    configs: tuple[str, ...],
    config_file: Path | None,
    initial_state: str | None,
) -> None:
    """Create connector NAME from --config pairs and/or a --config-file."""
    body = _creation_body(name, configs, config_file)
    if initial_state:
        body["initial_state"] = initial_state.upper()
    created = worker.request("POST", "/connectors", body=body)
    tasks = len(created.get("tasks") or []) if isinstance(created, dict) else 0
    click.echo(f"Created connector {body['name']} ({tasks} task(s) so far).")


def _creation_body(
    name: str | None, configs: tuple[str, ...], config_file: Path | None
) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if config_file is not None:
        try:
            loaded = json.loads(config_file.read_text())
        except ValueError as error:
            raise click.BadParameter(
                f"{config_file}: {error}", param_hint="--config-file"
            ) from None
        if not isinstance(loaded, dict):
            raise click.BadParameter(
                f"{config_file}: not a JSON object", param_hint="--config-file"
            )
        if isinstance(loaded.get("config"), dict):
            name = name or loaded.get("name")
            config.update(loaded["config"])
        else:
            config.update(loaded)
    config.update(parse_config_pairs(configs))
    name = name or config.get("name")
    if not name:
        raise click.UsageError("give the connector a NAME (argument, or in the config file)")
    if not config:
        raise click.UsageError("give the connector's config with --config or --config-file")
    config["name"] = name
    return {"name": name, "config": config}


@connect.command()
@click.argument("name")
@pass_worker
def status(worker: RestClient, name: str) -> None:
    """Print the state of connector NAME and of each of its tasks (with failure traces)."""
    answer = worker.request("GET", _path(name, "status"))
    connector = answer.get("connector", {})
    rows = [["connector", connector.get("state"), connector.get("worker_id")]]
    rows += [
        [f"task {task.get('id')}", task.get("state"), task.get("worker_id")]
        for task in answer.get("tasks", [])
    ]
    click.echo(f"{answer.get('name', name)} ({answer.get('type', 'unknown type')})")
    click.echo(render_table(["WHAT", "STATE", "WORKER"], rows))
    traced = [("connector", connector), *((f"task {t.get('id')}", t) for t in answer["tasks"])]
    for label, item in traced:
        if item.get("trace"):
            click.echo(f"\n{label} trace:\n{item['trace']}")


@connect.command()
@click.argument("name")
@pass_worker
def pause(worker: RestClient, name: str) -> None:
    """Pause connector NAME and its tasks."""
    worker.request("PUT", _path(name, "pause"))
    click.echo(f"Pausing {name}.")


@connect.command()
@click.argument("name")
@pass_worker
def resume(worker: RestClient, name: str) -> None:
    """Resume a paused (or stopped) connector NAME."""
    worker.request("PUT", _path(name, "resume"))
    click.echo(f"Resuming {name}.")


@connect.command()
@click.argument("name")
@pass_worker
def stop(worker: RestClient, name: str) -> None:
    """Stop connector NAME and remove its tasks (its config stays; `offsets` can then change)."""
    worker.request("PUT", _path(name, "stop"))
    click.echo(f"Stopping {name}.")


@connect.command()
@click.argument("name")
@click.option("--include-tasks", is_flag=True, help="Restart the tasks too.")
@click.option("--only-failed", is_flag=True, help="Restart only what has FAILED.")
@click.option("--task", "task_id", type=int, help="Restart this one task instead.")
@pass_worker
def restart(
    worker: RestClient, name: str, include_tasks: bool, only_failed: bool, task_id: int | None
) -> None:
    """Restart connector NAME (and with --include-tasks its tasks), or one --task."""
    if task_id is not None:
        worker.request("POST", _path(name, "tasks", str(task_id), "restart"))
        click.echo(f"Restarting task {task_id} of {name}.")
        return
    params = {"includeTasks": _flag(include_tasks), "onlyFailed": _flag(only_failed)}
    worker.request("POST", _path(name, "restart"), params=params)
    click.echo(f"Restarting {name}.")


def _flag(value: bool) -> str:
    return "true" if value else "false"


@connect.command()
@click.argument("name")
@pass_worker
def delete(worker: RestClient, name: str) -> None:
    """Delete connector NAME (its tasks stop; its offsets stay)."""
    worker.request("DELETE", _path(name))
    click.echo(f"Deleted connector {name}.")


@connect.command()
@click.argument("name")
@click.option("--reset", is_flag=True, help="Delete every offset (the connector must be STOPPED).")
@click.option(
    "--set-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='Alter offsets from JSON {"offsets": [{"partition": ..., "offset": ...}]} (STOPPED).',
)  # fmt: skip
@pass_worker
def offsets(worker: RestClient, name: str, reset: bool, set_file: Path | None) -> None:
    """Print the offsets of connector NAME as JSON, or --reset / --set-file them."""
    if reset and set_file is not None:
        raise click.UsageError("give --reset or --set-file, not both")
    if reset:
        answer = worker.request("DELETE", _path(name, "offsets"))
    elif set_file is not None:
        try:
            body = json.loads(set_file.read_text())
        except ValueError as error:
            raise click.BadParameter(f"{set_file}: {error}", param_hint="--set-file") from None
        answer = worker.request("PATCH", _path(name, "offsets"), body=body)
    else:
        click.echo(json.dumps(worker.request("GET", _path(name, "offsets")), indent=2))
        return
    message = answer.get("message") if isinstance(answer, dict) else None
    click.echo(message or "Done.")


@connect.command()
@click.option("--all", "everything", is_flag=True, help="Transforms, converters, ... too.")
@pass_worker
def plugins(worker: RestClient, everything: bool) -> None:
    """Print the connector plugins the workers have installed."""
    params = {"connectorsOnly": "false"} if everything else None
    found = worker.request("GET", "/connector-plugins", params=params)
    rows = [[p.get("class"), p.get("type"), p.get("version")] for p in found]
    click.echo(render_table(["CLASS", "TYPE", "VERSION"], rows))
