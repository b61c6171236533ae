"""When the services turn tracing on: the flag, then the standard OTEL_* variables; the
switches that turn it off; and the flags' environment fallbacks on every service."""

from __future__ import annotations

import pytest
from kanal.tracing.setup import otlp_endpoint, setup_tracing
from kanal_broker.__main__ import parse_settings as broker_settings
from kanal_connect.__main__ import parse_settings as connect_settings
from kanal_controller.__main__ import parse_settings as controller_settings
from kanal_registry.__main__ import parse_settings as registry_settings


@pytest.mark.parametrize(("flag", "env", "expected"), [
    ("", {}, ""),
    ("http://otel:4317", {}, "http://otel:4317"),
    ("otel:4317", {}, "http://otel:4317"),
    ("https://otel:4317", {}, "https://otel:4317"),
    ("", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4317"}, "http://a:4317"),
    ("", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4317",
          "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t:4317"}, "http://t:4317"),
    ("http://flag:4317", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:4317"}, "http://flag:4317"),
    ("http://otel:4317", {"OTEL_SDK_DISABLED": "true"}, ""),
    ("http://otel:4317", {"OTEL_TRACES_EXPORTER": "none"}, ""),
])
def test_endpoint_rules(flag: str, env: dict[str, str], expected: str) -> None:
    assert otlp_endpoint(flag, env) == expected


def test_no_endpoint_installs_nothing() -> None:
    assert setup_tracing("kanal-broker", "", {}) is None


def test_both_services_take_the_endpoint_from_flag_or_environment() -> None:
    env = {"KANAL_BROKER_OTLP_ENDPOINT": "http://env:4317"}
    settings, _ = broker_settings(["--broker-id", "1"], env)
    assert settings.otlp_endpoint == "http://env:4317"
    settings, _ = broker_settings(["--broker-id", "1", "--otlp-endpoint", "http://f:4317"], env)
    assert settings.otlp_endpoint == "http://f:4317"
    settings, _ = broker_settings(["--broker-id", "1"], {})
    assert settings.otlp_endpoint == ""
    controller, _ = controller_settings(
        [], {"KANAL_CONTROLLER_OTLP_ENDPOINT": "http://env:4317"})
    assert controller.otlp_endpoint == "http://env:4317"
    controller, _ = controller_settings(["--otlp-endpoint", "http://f:4317"], {})
    assert controller.otlp_endpoint == "http://f:4317"


def test_registry_and_connect_take_the_endpoint_from_flag_or_environment() -> None:
    registry, _ = registry_settings([], {"KANAL_REGISTRY_OTLP_ENDPOINT": "http://env:4317"})
    assert registry.otlp_endpoint == "http://env:4317"
    registry, _ = registry_settings(["--otlp-endpoint", "http://f:4317"],
                                    {"KANAL_REGISTRY_OTLP_ENDPOINT": "http://env:4317"})
    assert registry.otlp_endpoint == "http://f:4317"
    registry, _ = registry_settings([], {"KANAL_CONNECT_OTLP_ENDPOINT": "http://other:4317"})
    assert registry.otlp_endpoint == ""
    worker, _ = connect_settings([], {"KANAL_CONNECT_OTLP_ENDPOINT": "http://env:4317"})
    assert worker.otlp_endpoint == "http://env:4317"
    worker, _ = connect_settings(["--otlp-endpoint", "http://f:4317"],
                                 {"KANAL_CONNECT_OTLP_ENDPOINT": "http://env:4317"})
    assert worker.otlp_endpoint == "http://f:4317"
    worker, _ = connect_settings([], {"KANAL_REGISTRY_OTLP_ENDPOINT": "http://other:4317"})
    assert worker.otlp_endpoint == ""
