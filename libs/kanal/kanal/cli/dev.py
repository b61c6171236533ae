"""`kanal dev up|down|status`: a whole cluster on this machine, as child processes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from kanal.cli.dev_output import describe_endpoints, next_steps, status_table
from kanal.cli.failures import CommandFailed, first_line
from kanal.cli.options import parse_comma_list
from kanal.devcluster.cluster import DevCluster
from kanal.devcluster.endpoints import ClusterEndpoints
from kanal.devcluster.etcd import ETCD_INSTALL_HINT, find_etcd_binary
from kanal.devcluster.plan import (
    DEFAULT_BROKER_PORT,
    DEFAULT_CONNECT_PORT,
    DEFAULT_ETCD_PORT,
    DEFAULT_REGISTRY_PORT,
)
from kanal.devcluster.supervisor import (
    run_until_signalled,
    running_cluster,
    spawn_detached,
    stop_published,
)
from kanal.errors import KanalError

T = TypeVar("T")
EXIT_NO_ETCD = 2
DEFAULT_CONNECT_WORKERS = 1
# The first controller sits two ports above the first broker: 9091 -> 9093 by default.
_CONTROLLER_OFFSET = 2

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data"),
    show_default=True,
    help="Directory holding the cluster's data, logs/ and cluster.json.",
)


@click.group()
def dev() -> None:
    """Run a whole Kanal cluster (etcd, controllers, brokers, schema registry, connect) on
    this machine."""


@dev.command()
@click.option(
    "--brokers", type=click.IntRange(min=1), default=3, show_default=True, help="Number of brokers."
)
@click.option(
    "--controllers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Number of controllers (one is active, the others stand by).",
)
@click.option(
    "--registries",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Schema registry instances (REST 8081, gRPC 8082 for the first); 0 leaves it out.",
)
@click.option(
    "--connect-workers",
    type=click.IntRange(min=0),
    default=DEFAULT_CONNECT_WORKERS,
    show_default=True,
    help="Connect workers (REST 8083, gRPC 8084 for the first); 0 leaves them out.",
)
@data_dir_option
@click.option(
    "--detach",
    is_flag=True,
    help="Return once the cluster serves and leave it running; stop it with `kanal dev down`.",
)
@click.option(
    "--racks",
    metavar="R1,R2,...",
    help="Racks given to the brokers in turn (broker-1 gets R1, ...).",
)
@click.option(
    "--base-port",
    type=click.IntRange(min=0, max=65535),
    default=DEFAULT_BROKER_PORT,
    show_default=True,
    help="gRPC port of the first broker; the first controller takes base+2. "
    "0: free ports for every service.",
)
@click.option(
    "--cluster-id",
    default="kanal",
    show_default=True,
    help="Cluster id (the etcd key prefix /kanal/<id>/).",
)
@click.option(
    "--session-timeout-ms",
    type=click.IntRange(min=1),
    help="Broker session timeout: how long etcd keeps a silent broker registered.",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds to wait for the cluster to serve.",
)
def up(**options: Any) -> None:
    """Start etcd, controllers, brokers, schema registries and connect workers; print their
    endpoints.

    In the foreground, Ctrl-C (or SIGTERM) stops everything cleanly.
    """
    if find_etcd_binary() is None:
        click.echo(f"Error: etcd is not installed. Install it with: {ETCD_INSTALL_HINT}", err=True)
        sys.exit(EXIT_NO_ETCD)
    request = UpRequest(**options)
    data_dir = request.data_dir
    if request.detach:
        click.echo(f"starting a dev cluster in {data_dir} (detached) ...", err=True)
        endpoints = _explain_failure(
            lambda: spawn_detached(request.foreground_argv(), data_dir, request.timeout_s + 30)
        )
        click.echo(describe_endpoints(endpoints))
        click.echo(next_steps(endpoints, request.brokers, foreground=False))
        return
    running = running_cluster(data_dir)
    if running is not None:
        raise CommandFailed(
            f"a dev cluster already runs from {data_dir} (pid {running.supervisor_pid}); "
            f"stop it with: kanal dev down --data-dir {data_dir}"
        )
    cluster = request.cluster()
    click.echo(f"starting {request.describe()} in {data_dir} ...", err=True)

    def ready(endpoints: ClusterEndpoints) -> None:
        click.echo(describe_endpoints(endpoints))
        click.echo(next_steps(endpoints, request.brokers, foreground=True))

    def exited(name: str) -> None:
        click.echo(f"warning: {name} exited; see {cluster.log_path(name)}", err=True)

    _explain_failure(lambda: run_until_signalled(cluster, ready, exited))
    click.echo("dev cluster stopped", err=True)


@dataclass(frozen=True)
class UpRequest:
    """The options of `kanal dev up`, as the DevCluster they describe or as the argv of the
    detached supervisor that will run them in the foreground."""

    brokers: int
    controllers: int
    data_dir: Path
    detach: bool
    racks: str | None
    base_port: int
    cluster_id: str
    session_timeout_ms: int | None
    timeout_s: float
    registries: int = 1
    connect_workers: int = DEFAULT_CONNECT_WORKERS

    def __post_init__(self) -> None:
        object.__setattr__(self, "data_dir", self.data_dir.absolute())

    def cluster(self) -> DevCluster:
        return DevCluster(
            self.data_dir,
            brokers=self.brokers,
            controllers=self.controllers,
            base_broker_port=self.base_port,
            controller_port=self.base_port + _CONTROLLER_OFFSET if self.base_port else 0,
            etcd_port=DEFAULT_ETCD_PORT if self.base_port else 0,
            cluster_id=self.cluster_id,
            racks=parse_comma_list(self.racks),
            session_timeout_ms=self.session_timeout_ms,
            registries=self.registries,
            connect_workers=self.connect_workers,
            registry_port=DEFAULT_REGISTRY_PORT if self.base_port else 0,
            connect_port=DEFAULT_CONNECT_PORT if self.base_port else 0,
            start_timeout_s=self.timeout_s,
        )

    def describe(self) -> str:
        tiers = [
            "etcd",
            f"{self.controllers} controller(s)",
            f"{self.brokers} broker(s)",
            f"{self.registries} schema registr{'y' if self.registries == 1 else 'ies'}",
            f"{self.connect_workers} connect worker(s)",
        ]
        return ", ".join(tiers[:-1]) + " and " + tiers[-1]

    def foreground_argv(self) -> list[str]:
        """Arguments after the interpreter: `-m kanal.cli dev up ...` without --detach."""
        argv = [
            "-m", "kanal.cli", "dev", "up",
            "--brokers", str(self.brokers),
            "--controllers", str(self.controllers),
            "--registries", str(self.registries),
            "--connect-workers", str(self.connect_workers),
            "--data-dir", str(self.data_dir),
            "--base-port", str(self.base_port),
            "--cluster-id", self.cluster_id,
            "--timeout", str(self.timeout_s),
        ]  # fmt: skip
        if self.racks:
            argv += ["--racks", self.racks]
        if self.session_timeout_ms is not None:
            argv += ["--session-timeout-ms", str(self.session_timeout_ms)]
        return argv


@dev.command()
@data_dir_option
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds to wait for a clean stop before SIGKILL.",
)
def down(data_dir: Path, timeout_s: float) -> None:
    """Stop the cluster started with `kanal dev up` in DATA_DIR (detached or not)."""
    endpoints = stop_published(data_dir.absolute(), timeout_s)
    click.echo(
        f"stopped dev cluster {endpoints.cluster_id!r} ({len(endpoints.services)} processes)",
        err=True,
    )


@dev.command()
@data_dir_option
def status(data_dir: Path) -> None:
    """Show the processes of the cluster in DATA_DIR and whether each one serves."""
    endpoints = running_cluster(data_dir.absolute())
    if endpoints is None:
        raise CommandFailed(f"no dev cluster is running in {data_dir.absolute()}")
    click.echo(status_table(endpoints))
    click.echo(f"\nbootstrap: {endpoints.bootstrap}   supervisor pid: {endpoints.supervisor_pid}")


def _explain_failure(action: Callable[[], T]) -> T:
    """Start failures carry the failing log's tail: print it, then the one-line error."""
    try:
        return action()
    except KanalError as error:
        detail = str(error).strip().splitlines()
        if len(detail) > 1:
            click.echo("\n".join(detail[1:]), err=True)
        raise CommandFailed(first_line(str(error))) from None
