"""The leader-rebalance flags: defaults (Kafka's), environment fallback, bounds."""

from __future__ import annotations

import pytest
from kanal_controller.__main__ import parse_settings


def test_defaults_are_kafkas() -> None:
    settings, _ = parse_settings(["--controller-id", "c"], {})
    assert settings.auto_leader_rebalance
    assert settings.leader_imbalance_percentage == 10
    assert settings.leader_imbalance_check_interval_ms == 300_000


def test_flags_and_environment() -> None:
    env = {"KANAL_CONTROLLER_AUTO_LEADER_REBALANCE": "false",
           "KANAL_CONTROLLER_LEADER_IMBALANCE_PERCENTAGE": "25"}
    settings, _ = parse_settings(["--controller-id", "c",
                                  "--leader-imbalance-check-interval-ms", "1000"], env)
    assert not settings.auto_leader_rebalance
    assert settings.leader_imbalance_percentage == 25
    assert settings.leader_imbalance_check_interval_ms == 1000


@pytest.mark.parametrize("argv", [["--leader-imbalance-percentage", "101"],
                                  ["--leader-imbalance-percentage", "-1"],
                                  ["--leader-imbalance-check-interval-ms", "0"],
                                  ["--auto-leader-rebalance", "maybe"]])
def test_bad_values_are_usage_errors(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_settings(["--controller-id", "c", *argv], {})
