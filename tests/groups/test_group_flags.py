"""The broker's consumer-group flags: parsed (with their KANAL_BROKER_* fallbacks), checked,
and handed to the coordinator's config."""

from __future__ import annotations

import pytest
from kanal_broker.__main__ import parse_settings
from kanal_broker.groups.config import GroupCoordinatorConfig
from kanal_broker.groups.server.runtime import group_coordinator_config


def test_defaults_are_kafkas() -> None:
    settings, _ = parse_settings(["--broker-id", "1"], {})
    config = group_coordinator_config(settings)
    defaults = GroupCoordinatorConfig()
    assert (config.heartbeat_interval_ms, config.session_timeout_ms) == (5_000, 45_000)
    assert (config.min_session_timeout_ms, config.max_session_timeout_ms) == (6_000, 1_800_000)
    assert config.initial_rebalance_delay_ms == 3_000
    assert config.offsets_retention_ms == defaults.offsets_retention_ms == 7 * 24 * 3600 * 1000


def test_flags_and_environment_reach_the_coordinator() -> None:
    settings, _ = parse_settings(
        ["--broker-id", "1", "--group-consumer-heartbeat-interval-ms", "250",
         "--group-consumer-session-timeout-ms", "3000", "--offsets-retention-minutes", "2"],
        {"KANAL_BROKER_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
         "KANAL_BROKER_GROUP_MIN_SESSION_TIMEOUT_MS": "100",
         "KANAL_BROKER_GROUP_MAX_SESSION_TIMEOUT_MS": "9000"})
    config = group_coordinator_config(settings)
    assert (config.heartbeat_interval_ms, config.session_timeout_ms) == (250, 3_000)
    assert (config.min_session_timeout_ms, config.max_session_timeout_ms) == (100, 9_000)
    assert (config.initial_rebalance_delay_ms, config.offsets_retention_ms) == (0, 120_000)


@pytest.mark.parametrize("argv", [
    ["--group-consumer-heartbeat-interval-ms", "5000", "--group-consumer-session-timeout-ms",
     "5000"],
    ["--group-consumer-heartbeat-interval-ms", "0"],
    ["--group-min-session-timeout-ms", "7000", "--group-max-session-timeout-ms", "6000"],
    ["--group-initial-rebalance-delay-ms", "-1"],
    ["--offsets-retention-minutes", "0"],
])
def test_inconsistent_values_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_settings(["--broker-id", "1", *argv], {})
