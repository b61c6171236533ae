"""The worker's command line: flags, environment fallbacks, and the README's table of them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from kanal_connect.__main__ import build_parser, parse_settings

README = (Path(__file__).resolve().parents[4] / "README.md").read_text()


def test_every_flag_is_documented_and_nothing_else() -> None:
    title = "### Connect worker"
    start = README.index(title)
    section = README[start:README.find("\n### ", start + len(title))]
    rows = [line for line in section.splitlines() if line.startswith("| `--")]
    documented = {flag for row in rows for flag in re.findall(r"`(--[a-z0-9-]+)`", row)}
    parser = build_parser({})
    flags = {o for a in parser._actions for o in a.option_strings
             if o.startswith("--") and o != "--help"}
    assert documented == flags


def test_flags_and_environment() -> None:
    settings, level = parse_settings(
        ["--port", "9000", "--plugin-module", "a", "--plugin-module", "b", "--standalone"],
        {"KANAL_CONNECT_GROUP_ID": "g", "KANAL_CONNECT_ADVERTISED_HOST": "w1",
         "KANAL_CONNECT_LOG_LEVEL": "debug", "KANAL_CONNECT_SCHEMAS_ENABLE": "false"})
    assert (settings.port, settings.group_id, level) == (9000, "g", "DEBUG")
    assert settings.url == "http://w1:9000" and settings.id == "w1:9000"
    assert settings.plugin_modules == ("a", "b") and not settings.distributed
    assert settings.converters.value_settings == {"schemas.enable": "false"}
    assert settings.config_topic == "connect-configs"
    assert settings.scheduled_rebalance_max_delay_ms == 300_000


@pytest.mark.parametrize("argv", [["--port", "0"], ["--offset-flush-interval-ms", "-1"],
                                  ["--metrics-port", "-3"], ["--schemas-enable", "maybe"]])
def test_bad_flags_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_settings(argv, {})
