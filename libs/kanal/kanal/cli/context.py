"""What every command shares: where the cluster is, and the SDK clients built from it."""

from __future__ import annotations

from dataclasses import dataclass

import click
from click.decorators import FC

DEFAULT_BOOTSTRAP = "localhost:9091"
BOOTSTRAP_ENV = "KANAL_BOOTSTRAP"
BOOTSTRAP_HELP = f"Brokers to bootstrap from, host:port[,host:port...] (env {BOOTSTRAP_ENV})."
OVERRIDE_HELP = "Brokers to bootstrap from; overrides the global --bootstrap."


@dataclass
class CliContext:
    bootstrap: str = DEFAULT_BOOTSTRAP


pass_cli = click.make_pass_decorator(CliContext, ensure=True)


def _override_bootstrap(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.ensure_object(CliContext).bootstrap = value


def bootstrap_option(command: FC) -> FC:
    """`--bootstrap` after a subcommand too (`kanal topic list --bootstrap h:p`), like
    Kafka's tools take `--bootstrap-server` on every command."""
    return click.option(
        "--bootstrap",
        metavar="HOST:PORT[,...]",
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_override_bootstrap,
        help=OVERRIDE_HELP,
    )(command)
