"""Options shared by `kanal perf produce` and `kanal perf consume`."""

from __future__ import annotations

import json
from typing import Any

import click

json_option = click.option(
    "--json", "as_json", is_flag=True,
    help="Print exactly one JSON object with the figures on stdout (progress stays on stderr).",
)  # fmt: skip
reporting_interval_option = click.option(
    "--reporting-interval-ms", type=click.IntRange(min=0), default=5000, show_default=True,
    help="Interval between progress lines on stderr; 0 turns them off.",
)  # fmt: skip


def emit(figures: dict[str, Any], human_line: str, *, as_json: bool) -> None:
    """Figures to stdout: the JSON object, or Kafka's closing line for people."""
    if as_json:
        click.echo(human_line, err=True)
        click.echo(json.dumps(figures, sort_keys=True))
    else:
        click.echo(human_line)
