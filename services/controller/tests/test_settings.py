"""Flags and environment into ControllerSettings (the process edge)."""

from __future__ import annotations

import pytest
from kanal.types import HostPort
from kanal_controller.__main__ import parse_settings
from kanal_controller.settings import ControllerSettings


def test_defaults() -> None:
    settings, level = parse_settings([], environ={})
    assert settings.port == 9093 and settings.metrics_port == 9405
    assert settings.etcd_endpoints == (HostPort("127.0.0.1", 2379),)
    assert settings.cluster_id == "kanal" and settings.controller_id
    assert settings.lease_ttl_s == 6 and level == "INFO"


def test_environment_is_the_fallback_and_flags_win() -> None:
    environ = {"KANAL_CONTROLLER_ID": "from-env", "KANAL_CONTROLLER_PORT": "7000",
               "KANAL_ETCD": "10.0.0.1:1,10.0.0.2:2", "KANAL_CLUSTER_ID": "prod"}
    settings, _ = parse_settings(["--port", "7001"], environ=environ)
    assert settings.controller_id == "from-env" and settings.port == 7001
    assert settings.cluster_id == "prod"
    assert settings.etcd_endpoints == (HostPort("10.0.0.1", 1), HostPort("10.0.0.2", 2))


def test_etcd_flag_repeatable_and_comma_separated() -> None:
    settings, _ = parse_settings(["--etcd", "a:1,b:2", "--etcd", "c"], environ={})
    assert settings.etcd_endpoints == (HostPort("a", 1), HostPort("b", 2), HostPort("c", 2379))


@pytest.mark.parametrize(("timeout_ms", "ttl_s"), [(1, 2), (2000, 2), (2001, 3), (6000, 6)])
def test_lease_ttl_rounds_up_to_whole_seconds_at_least_two(timeout_ms: int, ttl_s: int) -> None:
    settings = ControllerSettings(controller_id="c", session_timeout_ms=timeout_ms)
    assert settings.lease_ttl_s == ttl_s


@pytest.mark.parametrize("argv", [["--etcd", "host:notaport"], ["--session-timeout-ms", "0"],
                                  ["--default-partitions", "-1"], ["--log-level", "LOUD"]])
def test_bad_flags_exit_with_usage(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_settings(argv, environ={})
    assert exit_info.value.code == 2


def test_bad_environment_value_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_settings([], environ={"KANAL_CONTROLLER_PORT": "ninety"})
    assert exit_info.value.code == 2
