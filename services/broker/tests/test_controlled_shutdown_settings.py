"""The --controlled-shutdown-timeout-ms flag: default, environment fallback, bounds."""

from __future__ import annotations

import pytest
from kanal_broker.__main__ import parse_settings


def test_default_is_thirty_seconds() -> None:
    settings, _ = parse_settings(["--broker-id", "1"], {})
    assert settings.controlled_shutdown_timeout_ms == 30000


def test_flag_and_environment() -> None:
    env = {"KANAL_BROKER_CONTROLLED_SHUTDOWN_TIMEOUT_MS": "5000"}
    assert parse_settings(["--broker-id", "1"], env)[0].controlled_shutdown_timeout_ms == 5000
    flagged, _ = parse_settings(["--broker-id", "1", "--controlled-shutdown-timeout-ms", "0"],
                                env)
    assert flagged.controlled_shutdown_timeout_ms == 0  # 0 skips controlled shutdown


def test_negative_timeout_is_a_usage_error() -> None:
    with pytest.raises(SystemExit):
        parse_settings(["--broker-id", "1", "--controlled-shutdown-timeout-ms", "-1"], {})
