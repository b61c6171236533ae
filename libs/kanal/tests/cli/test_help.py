"""Every command and option explains itself."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner
from kanal.cli.main import cli


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in group.commands.items():
        if command.hidden:
            continue
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


ALL_COMMANDS = list(_commands(cli))


def _resolve(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


def test_the_command_tree_has_what_users_look_for() -> None:
    expected = {
        ("dev", "up"), ("dev", "down"), ("dev", "status"),
        ("topic", "create"), ("topic", "list"), ("topic", "describe"), ("topic", "alter"),
        ("topic", "delete"), ("produce",), ("consume",), ("cluster", "describe"),
        ("perf", "produce"), ("perf", "consume"),
    }  # fmt: skip
    assert expected <= set(ALL_COMMANDS)


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=" ".join)
def test_help_runs_and_every_option_has_help_text(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="kanal")
    assert result.exit_code == 0, result.output
    assert f"Usage: kanal {' '.join(path)}" in result.output
    command = _resolve(path)
    assert command.help, f"{path} has no help"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{path} {param.opts} has no help"


def test_root_help_names_the_bootstrap_env() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "KANAL_BOOTSTRAP" in result.output
    assert "localhost:9091" in result.output


def test_unknown_option_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["topic", "create", "t", "--partitions", "zero"])
    assert result.exit_code == 2
    assert "Invalid value for '--partitions'" in result.output
