"""Flags, environment fallbacks and the broker id from a StatefulSet hostname."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kanal.types import HostPort
from kanal_broker.__main__ import broker_id_from_hostname, parse_settings
from kanal_broker.settings import DEFAULT_MESSAGE_MAX_BYTES


def test_defaults() -> None:
    settings, level = parse_settings(["--broker-id", "3"], {})
    assert settings.broker_id == 3
    assert (settings.host, settings.port, settings.metrics_port) == ("127.0.0.1", 9091, 9404)
    assert settings.etcd_endpoints == (HostPort("127.0.0.1", 2379),)
    assert settings.cluster_id == "kanal"
    assert settings.message_max_bytes == DEFAULT_MESSAGE_MAX_BYTES == 1024 * 1024 + 12
    assert settings.lease_ttl_s == 6
    assert settings.log_retention_check_interval_ms == 300_000
    assert settings.advertised == HostPort("127.0.0.1", 9091)
    assert level == "INFO"


def test_environment_fills_in_and_flags_win() -> None:
    env = {"KANAL_BROKER_BROKER_ID": "5", "KANAL_ETCD": "10.0.0.1:2379,10.0.0.2",
           "KANAL_BROKER_PORT": "7000", "KANAL_BROKER_SESSION_TIMEOUT_MS": "2500",
           "KANAL_BROKER_DATA_DIR": "/var/lib/kanal", "KANAL_BROKER_RACK": "z1"}
    settings, _ = parse_settings(["--port", "7001", "--advertised-host", "b5.svc"], env)
    assert settings.broker_id == 5 and settings.port == 7001 and settings.rack == "z1"
    assert settings.etcd_endpoints == (HostPort("10.0.0.1", 2379), HostPort("10.0.0.2", 2379))
    assert settings.lease_ttl_s == 3  # 2.5 s rounds up to whole seconds
    assert settings.data_dir == Path("/var/lib/kanal")
    assert settings.advertised == HostPort("b5.svc", 7001)


def test_broker_id_from_the_statefulset_hostname() -> None:
    settings, _ = parse_settings(["--broker-id-from-hostname"], {"HOSTNAME": "kanal-broker-12"})
    assert settings.broker_id == 12
    assert broker_id_from_hostname("kanal-broker-0.kanal-broker.ns.svc") == 0
    with pytest.raises(ValueError, match="does not end"):
        broker_id_from_hostname("laptop")


@given(st.from_regex(r"[a-z][a-z-]{0,20}", fullmatch=True), st.integers(0, 10_000))
def test_any_pod_name_gives_its_ordinal(prefix: str, ordinal: int) -> None:
    assert broker_id_from_hostname(f"{prefix}-{ordinal}") == ordinal


def test_replication_flags() -> None:
    settings, _ = parse_settings(["--broker-id", "1"], {})
    assert (settings.replica_lag_time_max_ms, settings.replica_fetch_max_bytes,
            settings.replica_fetch_wait_max_ms) == (30_000, 1024 * 1024, 500)
    env = {"KANAL_BROKER_REPLICA_FETCH_MAX_BYTES": "4096"}
    settings, _ = parse_settings(["--broker-id", "1", "--replica-lag-time-max-ms", "900",
                                  "--replica-fetch-wait-max-ms", "50",
                                  "--replica-fetch-backoff-ms", "20"], env)
    assert (settings.replica_lag_time_max_ms, settings.replica_fetch_max_bytes,
            settings.replica_fetch_wait_max_ms, settings.replica_fetch_backoff_ms) == (
        900, 4096, 50, 20)


def test_help_lists_the_replication_flags() -> None:
    result = subprocess.run([sys.executable, "-m", "kanal_broker", "--help"],
                            capture_output=True, text=True, timeout=60, check=True)
    for flag in ("--replica-lag-time-max-ms", "--replica-fetch-max-bytes",
                 "--replica-fetch-wait-max-ms"):
        assert flag in result.stdout


@pytest.mark.parametrize("argv", [
    [], ["--broker-id", "-1"], ["--broker-id", "1", "--message-max-bytes", "0"],
    ["--broker-id", "1", "--etcd", ""], ["--broker-id", "x"],
    ["--broker-id", "1", "--replica-lag-time-max-ms", "0"],
    ["--broker-id", "1", "--replica-lag-time-max-ms", "500",
     "--replica-fetch-wait-max-ms", "500"],
])
def test_bad_input_is_a_usage_error(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_settings(argv, {})
    assert exited.value.code == 2


def test_the_command_line_reports_a_missing_id() -> None:
    result = subprocess.run([sys.executable, "-m", "kanal_broker"], capture_output=True,
                            text=True, timeout=60, check=False, env={"PATH": "/usr/bin"})
    assert result.returncode == 2 and "--broker-id is required" in result.stderr
