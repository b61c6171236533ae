"""The README's configuration reference matches what the code reads."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from kanal.topic_config import TOPIC_CONFIGS
from kanal_broker.__main__ import build_parser as broker_parser
from kanal_connect.__main__ import build_parser as connect_parser
from kanal_controller.__main__ import build_parser as controller_parser
from kanal_registry.__main__ import build_parser as registry_parser

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _section(title: str) -> str:
    start = README.index(title)
    following = README.find("\n### ", start + len(title))
    return README[start:following if following != -1 else len(README)]


def _documented_flags(section: str) -> set[str]:
    """Every flag in a table's first cell (a row may name several: `--host` / `--port`)."""
    cells = re.findall(r"^\| (`--[^|]*)\|", section, flags=re.MULTILINE)
    return {flag for cell in cells for flag in re.findall(r"`(--[a-z0-9-]+)`", cell)}


def _parser_flags(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings
            if option.startswith("--") and option != "--help"}


@pytest.mark.parametrize(("title", "parser"), [
    ("### Broker", broker_parser({})),
    ("### Controller", controller_parser({})),
    ("### Schema registry", registry_parser({})),
    ("### Connect worker", connect_parser({})),
])
def test_every_service_flag_is_documented_and_nothing_else(
    title: str, parser: argparse.ArgumentParser,
) -> None:
    assert _documented_flags(_section(title)) == _parser_flags(parser)


def test_every_topic_config_is_documented_with_its_default() -> None:
    section = _section("### Topic configs")
    rows = dict(re.findall(r"^\| `([a-z.]+)` \| \w+ \| `([^`]*)` \|", section, flags=re.MULTILINE))
    assert rows == {name: c.default for name, c in TOPIC_CONFIGS.items()}
