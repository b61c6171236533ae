"""The command line: the contract's flags, their environment fallbacks, and refusals."""

from __future__ import annotations

import pytest
from kanal.types import HostPort
from kanal_registry.__main__ import parse_settings


def test_defaults_are_the_contracts() -> None:
    settings, level = parse_settings([], {})
    assert (settings.host, settings.port, settings.grpc_port, settings.metrics_port) == (
        "127.0.0.1", 8081, 8082, 9407)
    assert settings.bootstrap == "127.0.0.1:9091"
    assert settings.etcd_endpoints == (HostPort("127.0.0.1", 2379),)
    assert settings.cluster_id == "kanal"
    assert settings.instance_id == "127.0.0.1:8081"
    assert settings.advertised_url == "http://127.0.0.1:8081"
    assert level == "INFO"


def test_flags_fall_back_to_the_environment() -> None:
    env = {"KANAL_REGISTRY_PORT": "9999", "KANAL_ETCD": "10.0.0.1:2379,10.0.0.2",
           "KANAL_CLUSTER_ID": "prod", "KANAL_REGISTRY_ADVERTISED_HOST": "reg-0.reg",
           "KANAL_REGISTRY_INSTANCE_ID": "reg-0", "KANAL_REGISTRY_LOG_LEVEL": "debug"}
    settings, level = parse_settings(["--grpc-port", "7000"], env)
    assert (settings.port, settings.grpc_port, settings.cluster_id) == (9999, 7000, "prod")
    assert settings.etcd_endpoints == (HostPort("10.0.0.1", 2379), HostPort("10.0.0.2", 2379))
    assert settings.advertised_url == "http://reg-0.reg:9999"
    assert settings.instance_id == "reg-0"
    assert level == "DEBUG"


@pytest.mark.parametrize("argv", [
    ["--port", "0"], ["--etcd", ""], ["--metrics-port", "-1"], ["--lease-ttl-s", "1"],
    ["--bootstrap", " "], ["--log-level", "loud"],
])
def test_bad_flags_exit_with_usage(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_settings(argv, {})
    assert exited.value.code == 2
