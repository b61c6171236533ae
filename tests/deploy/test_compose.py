"""docker-compose.yml: valid against the Compose specification, and wired the way the code
reads its configuration (environment names, ports, health check, etcd address)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from kanal.types import HostPort

from .chart_render import REPO
from .code_contract import (
    broker_env_names,
    broker_settings,
    connect_env_names,
    connect_settings,
    controller_env_names,
    controller_settings,
    registry_env_names,
    registry_settings,
)

# A copy of the Compose Specification schema (compose-spec/compose-spec, schema/compose-spec.json).
COMPOSE_SCHEMA = Path(__file__).resolve().parent / "schemas" / "compose-spec.json"
BROKERS = ["broker-1", "broker-2", "broker-3"]
CONTROLLERS = ["controller-1", "controller-2", "controller-3"]

Service = dict[str, Any]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Service]:
    found: dict[str, Service] = compose["services"]
    return found


@pytest.fixture(scope="module")
def compose_validator() -> jsonschema.Draft7Validator:
    # The spec names draft-07 by a URL form jsonschema does not recognise: say it directly.
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_matches_the_compose_spec(
    compose: dict[str, Any], compose_validator: jsonschema.Draft7Validator
) -> None:
    compose_validator.validate(compose)


def test_the_spec_check_can_fail(
    compose: dict[str, Any], compose_validator: jsonschema.Draft7Validator
) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"]["broker-1"]["depends_on"]["etcd"]["condition"] = "service_up"
    with pytest.raises(jsonschema.ValidationError):
        compose_validator.validate(broken)


def _healthcheck_port(service: Service) -> int:
    test = service["healthcheck"]["test"]
    assert test[:4] == ["CMD", "python", "-m", "kanal.healthcheck"], test
    return HostPort.parse(test[-1], 0).port


_INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*):-([^}]*)\}")


def _env(service: Service, shell: dict[str, str] | None = None) -> dict[str, str]:
    """The container's environment as Compose interpolates it from `shell` (empty: the
    `${NAME:-default}` defaults)."""
    shell = shell or {}
    return {name: _INTERPOLATION.sub(lambda m: shell.get(m.group(1)) or m.group(2), str(value))
            for name, value in service["environment"].items()}


def _http_healthcheck_port(service: Service) -> int:
    """The port of a `GET /` health check (python's urllib: no curl in slim images)."""
    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    match = re.fullmatch(r"import urllib\.request; urllib\.request\.urlopen\("
                         r"'http://127\.0\.0\.1:(\d+)/', timeout=\d+\)", test[3])
    assert match, test[3]
    return int(match.group(1))


@pytest.mark.parametrize("name", BROKERS)
def test_broker_service(services: dict[str, Service], name: str) -> None:
    service = services[name]
    assert service["build"]["target"] == "broker"
    env = _env(service)
    assert set(env) <= broker_env_names(), set(env) - broker_env_names()
    settings = broker_settings(env)
    assert settings.broker_id == int(name.rsplit("-", 1)[1])
    assert settings.advertised == HostPort(name, settings.port)
    assert settings.host == "0.0.0.0"
    assert _healthcheck_port(service) == settings.port
    assert settings.etcd_endpoints == (HostPort("etcd", 2379),)
    volume, _, mount = service["volumes"][0].partition(":")
    assert volume == f"{name}-data" and mount == str(settings.data_dir)
    grace_s = int(service["stop_grace_period"].removesuffix("s"))
    assert grace_s > settings.controlled_shutdown_timeout_ms / 1000, "SIGKILL mid-shutdown"


@pytest.mark.parametrize("name", CONTROLLERS)
def test_controller_service(services: dict[str, Service], name: str) -> None:
    service = services[name]
    assert service["build"]["target"] == "controller"
    env = _env(service)
    assert set(env) <= controller_env_names(), set(env) - controller_env_names()
    settings = controller_settings(env)
    assert settings.controller_id == name
    assert (settings.advertised_host, settings.host) == (name, "0.0.0.0")
    assert _healthcheck_port(service) == settings.port
    assert settings.etcd_endpoints == (HostPort("etcd", 2379),)


def test_schema_registry_service(services: dict[str, Service]) -> None:
    service = services["schema-registry"]
    assert service["build"]["target"] == "registry"
    env = _env(service)
    assert set(env) <= registry_env_names(), set(env) - registry_env_names()
    settings = registry_settings(env)
    assert (settings.host, settings.advertised_host) == ("0.0.0.0", "schema-registry")
    assert _http_healthcheck_port(service) == settings.port
    assert settings.etcd_endpoints == (HostPort("etcd", 2379),)
    assert _brokers_of(settings.bootstrap, services)
    assert f"127.0.0.1:{settings.port}:{settings.port}" in service["ports"]
    assert {dep["condition"] for dep in service["depends_on"].values()} == {"service_healthy"}
    assert set(BROKERS) <= set(service["depends_on"])


def test_connect_service(services: dict[str, Service]) -> None:
    service = services["connect"]
    assert service["build"]["target"] == "connect"
    env = _env(service)
    assert set(env) <= connect_env_names(), set(env) - connect_env_names()
    settings = connect_settings(env)
    assert (settings.host, settings.advertised_host) == ("0.0.0.0", "connect")
    assert _http_healthcheck_port(service) == settings.port
    assert _brokers_of(settings.bootstrap, services)
    registry = registry_settings(_env(services["schema-registry"]))
    assert settings.schema_registry_url == f"http://schema-registry:{registry.port}"
    assert f"127.0.0.1:{settings.port}:{settings.port}" in service["ports"]
    assert {dep["condition"] for dep in service["depends_on"].values()} == {"service_healthy"}
    assert {*BROKERS, "schema-registry"} <= set(service["depends_on"])


def _brokers_of(bootstrap: str, services: dict[str, Service]) -> bool:
    """Every bootstrap entry is a compose broker at the port it listens on."""
    for entry in bootstrap.split(","):
        address = HostPort.parse(entry, 0)
        assert address.host in BROKERS, address
        assert address.port == broker_settings(_env(services[address.host])).port
    return True


def test_tracing_is_off_unless_an_endpoint_is_given(services: dict[str, Service]) -> None:
    for name in BROKERS:
        assert broker_settings(_env(services[name])).otlp_endpoint == ""
        on = broker_settings(_env(services[name], {"KANAL_OTLP_ENDPOINT": "http://otel:4317"}))
        assert on.otlp_endpoint == "http://otel:4317"
    for name in CONTROLLERS:
        assert controller_settings(_env(services[name])).otlp_endpoint == ""
        controller = controller_settings(
            _env(services[name], {"KANAL_OTLP_ENDPOINT": "http://otel:4317"}))
        assert controller.otlp_endpoint == "http://otel:4317"
    for parse, name in ((registry_settings, "schema-registry"), (connect_settings, "connect")):
        assert parse(_env(services[name])).otlp_endpoint == ""
        on_http = parse(_env(services[name], {"KANAL_OTLP_ENDPOINT": "http://otel:4317"}))
        assert on_http.otlp_endpoint == "http://otel:4317"


def test_one_cluster_id_everywhere(services: dict[str, Service]) -> None:
    ids = {broker_settings(_env(services[b])).cluster_id for b in BROKERS}
    ids |= {controller_settings(_env(services[c])).cluster_id for c in CONTROLLERS}
    ids.add(registry_settings(_env(services["schema-registry"])).cluster_id)
    assert len(ids) == 1


def test_start_order_waits_for_health(services: dict[str, Service]) -> None:
    assert "healthcheck" in services["etcd"]
    for name in [*BROKERS, *CONTROLLERS]:
        conditions = {dep["condition"] for dep in services[name]["depends_on"].values()}
        assert conditions == {"service_healthy"}
        assert "etcd" in services[name]["depends_on"]
    for name in BROKERS:
        assert set(CONTROLLERS) <= set(services[name]["depends_on"])


def test_named_volumes_are_declared(compose: dict[str, Any]) -> None:
    used = {volume.split(":", 1)[0] for service in compose["services"].values()
            for volume in service.get("volumes", []) if not volume.startswith(".")}
    assert used == set(compose["volumes"])


def test_prometheus_scrapes_every_service(services: dict[str, Service]) -> None:
    config = yaml.safe_load((REPO / "deploy/prometheus/prometheus.yml").read_text())
    targets = {target for job in config["scrape_configs"]
               for static in job["static_configs"] for target in static["targets"]}
    for name in BROKERS:
        assert f"{name}:{broker_settings(_env(services[name])).metrics_port}" in targets
    for name in CONTROLLERS:
        assert f"{name}:{controller_settings(_env(services[name])).metrics_port}" in targets
    registry = registry_settings(_env(services["schema-registry"])).metrics_port
    assert f"schema-registry:{registry}" in targets
    assert f"connect:{connect_settings(_env(services['connect'])).metrics_port}" in targets


def test_grafana_reads_the_charts_dashboards(services: dict[str, Service]) -> None:
    mounts = dict(volume.split(":")[:2] for volume in services["grafana"]["volumes"])
    provider = yaml.safe_load(
        (REPO / "deploy/grafana/provisioning/dashboards/kanal.yml").read_text())
    dashboards_path = provider["providers"][0]["options"]["path"]
    assert mounts["./helm/kanal/dashboards"] == dashboards_path
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"


def test_etcd_is_the_official_image(services: dict[str, Service]) -> None:
    assert re.fullmatch(r"quay\.io/coreos/etcd:v3\.5\.\d+", services["etcd"]["image"])
