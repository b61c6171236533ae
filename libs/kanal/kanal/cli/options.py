"""Option values that need parsing: `k=v` configs, comma lists, acks."""

from __future__ import annotations

from collections.abc import Iterable

import click

COMPRESSION_CHOICES = ("none", "gzip", "snappy", "lz4", "zstd")
ACKS_CHOICES = ("0", "1", "all", "-1")

# The producer options `kanal produce` and `kanal perf produce` share, declared once.
acks_option = click.option(
    "--acks",
    type=click.Choice(ACKS_CHOICES),
    default="all",
    show_default=True,
    help="Acknowledgements the leader waits for: 0, 1 or all.",
)
compression_option = click.option(
    "--compression",
    type=click.Choice(COMPRESSION_CHOICES),
    default="none",
    show_default=True,
    help="Batch compression codec.",
)


def parse_config_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """`["retention.ms=1000", "cleanup.policy=compact"]` -> a dict; the value may hold '='."""
    configs: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--config")
        configs[name] = value.strip()
    return configs


def parse_comma_list(text: str | None) -> list[str]:
    """`"r1, r2,,r3"` -> `["r1", "r2", "r3"]`; None or blank -> []."""
    if not text:
        return []
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_acks(text: str) -> int | str:
    """The Producer's `acks` argument: 0, 1 or "all" (-1 is Kafka's spelling of all)."""
    return "all" if text in ("all", "-1") else int(text)


def compression_argument(text: str) -> str | None:
    return None if text == "none" else text


def unescape_separator(text: str) -> str:
    r"""Let `--key-separator '\t'` mean a tab, as kafka-console-producer users type it."""
    return text.encode("utf-8").decode("unicode_escape") if "\\" in text else text
