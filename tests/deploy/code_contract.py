"""What the service code reads and exports, taken from the code itself: the environment
variables each service's flag parser consults and the metric names its registry exposes.
The deployment artifacts are checked against these, so a renamed flag or metric fails here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from kanal.tracing.setup import ENDPOINT_VARIABLES
from kanal_broker import __main__ as broker_main
from kanal_broker.metrics import BrokerMetrics
from kanal_broker.settings import BrokerSettings
from kanal_connect import __main__ as connect_main
from kanal_connect.runtime.metrics import ConnectMetrics
from kanal_connect.worker.settings import WorkerSettings
from kanal_controller import __main__ as controller_main
from kanal_controller.metrics import ControllerMetrics
from kanal_controller.settings import ControllerSettings
from kanal_registry import __main__ as registry_main
from kanal_registry.metrics import RegistryMetrics
from kanal_registry.settings import RegistrySettings
from prometheus_client import CollectorRegistry

TRACING_ENV_NAMES = frozenset({
    *ENDPOINT_VARIABLES, "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "OTEL_SDK_DISABLED",
})
"""The OpenTelemetry SDK's standard variables kanal.tracing.setup honours (read by the SDK,
not by the services' flag parsers)."""


class RecordingEnv(Mapping[str, str]):
    """An environment that remembers every name looked up in it (Mapping.get and `in` go
    through __getitem__)."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._values = dict(values or {})
        self.asked: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.asked.add(name)
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def broker_env_names() -> frozenset[str]:
    env = RecordingEnv()
    broker_main.parse_settings(["--broker-id", "1"], env)
    return frozenset(env.asked)


def controller_env_names() -> frozenset[str]:
    env = RecordingEnv()
    controller_main.parse_settings([], env)
    return frozenset(env.asked)


def registry_env_names() -> frozenset[str]:
    env = RecordingEnv()
    registry_main.parse_settings([], env)
    return frozenset(env.asked)


def connect_env_names() -> frozenset[str]:
    env = RecordingEnv()
    connect_main.parse_settings([], env)
    return frozenset(env.asked)


def registry_settings(env: Mapping[str, str]) -> RegistrySettings:
    settings, _level = registry_main.parse_settings([], env)
    return settings


def connect_settings(env: Mapping[str, str]) -> WorkerSettings:
    settings, _level = connect_main.parse_settings([], env)
    return settings


def broker_settings(env: Mapping[str, str]) -> BrokerSettings:
    """The settings a broker started with no flags and this environment runs with."""
    settings, _level = broker_main.parse_settings([], env)
    return settings


def controller_settings(env: Mapping[str, str]) -> ControllerSettings:
    settings, _level = controller_main.parse_settings([], env)
    return settings


def _sample_names(registry: CollectorRegistry) -> set[str]:
    # Sample names include the suffixes Prometheus sees (_total, _bucket, _sum, _count,
    # _created); label-less families have no samples before first use, so add the family.
    names: set[str] = set()
    for family in registry.collect():
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        if family.type == "counter":
            names.add(f"{family.name}_total")
        if family.type == "histogram":
            names.update(f"{family.name}_{suffix}" for suffix in ("bucket", "sum", "count"))
    return names


def exported_metric_names() -> frozenset[str]:
    """Every series name a broker, controller, schema registry or connect worker exposes on
    /metrics."""
    return frozenset(_sample_names(BrokerMetrics().registry)
                     | _sample_names(ControllerMetrics().registry)
                     | _sample_names(RegistryMetrics().registry)
                     | _sample_names(ConnectMetrics().registry))


# Consumer-group lag comes with consumer groups (a later issue); the lag dashboard already
# queries these names.
PLANNED_METRIC_NAMES = frozenset({"kanal_consumergroup_lag", "kanal_consumergroup_lag_seconds"})
