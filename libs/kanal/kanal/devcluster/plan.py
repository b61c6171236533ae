"""The ports and command lines of a dev cluster, decided before any process starts.

Default layout (the ports DESIGN.md gives each service), with later members of a tier on the
next free ports:

    broker-1      gRPC 9091   metrics 9404        etcd client 2379, peer 2380
    controller-1  gRPC 9093   metrics 9405
    broker-2      gRPC 9092   metrics 9406 ...
    registry-1    REST 8081   gRPC 8082   metrics 9407   (schema registry, when asked for)
    connect-1     REST 8083   gRPC 8084   metrics 9408   (connect worker, when asked for)

The first broker, controller, registry and connect ports are exact (a clear error when
taken); everything else walks upward to a free port. A base port of 0 means "any free port"
for that tier and its metrics, which is what tests ask for.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from kanal.devcluster.endpoints import ServiceEndpoint, ServiceKind
from kanal.devcluster.ports import PortPlanner
from kanal.errors import ConfigurationError

DEFAULT_BROKER_PORT = 9091
DEFAULT_CONTROLLER_PORT = 9093
DEFAULT_ETCD_PORT = 2379
_BROKER_METRICS_PORT = 9404
_CONTROLLER_METRICS_PORT = 9405
_ETCD_PEER_PORT = 2380
DEFAULT_REGISTRY_PORT = 8081
DEFAULT_CONNECT_PORT = 8083
_REGISTRY_GRPC_PORT = 8082
_CONNECT_GRPC_PORT = 8084
_REGISTRY_METRICS_PORT = 9407
_CONNECT_METRICS_PORT = 9408
_PORT_HINT = "pass --base-port N (e.g. --base-port 19091), or --base-port 0 for free ports"


@dataclass(frozen=True, slots=True)
class ClusterShape:
    """What the user asked for; `plan_cluster` turns it into endpoints."""

    brokers: int = 3
    controllers: int = 1
    base_broker_port: int = DEFAULT_BROKER_PORT
    controller_port: int = DEFAULT_CONTROLLER_PORT
    etcd_port: int = DEFAULT_ETCD_PORT
    cluster_id: str = "kanal"
    racks: tuple[str, ...] = ()
    session_timeout_ms: int | None = None
    host: str = "127.0.0.1"
    registries: int = 0
    """Schema registry instances (`python -m kanal_registry`), started after the brokers."""
    connect_workers: int = 0
    """Connect workers (`python -m kanal_connect`), started after the registries."""
    registry_port: int = DEFAULT_REGISTRY_PORT
    connect_port: int = DEFAULT_CONNECT_PORT


@dataclass(frozen=True, slots=True)
class ClusterPlan:
    etcd: ServiceEndpoint
    etcd_peer_port: int
    controllers: tuple[ServiceEndpoint, ...]
    brokers: tuple[ServiceEndpoint, ...]
    registries: tuple[ServiceEndpoint, ...] = ()
    connect_workers: tuple[ServiceEndpoint, ...] = ()


def plan_cluster(shape: ClusterShape) -> ClusterPlan:
    if shape.brokers < 1 or shape.controllers < 1:
        raise ConfigurationError("a dev cluster needs at least one broker and one controller")
    ports = PortPlanner(shape.host)

    def first(port: int, name: str, hint: str = _PORT_HINT) -> int:
        return ports.exact(port, what=name, hint=hint) if port else ports.near(0)

    broker_ports = [first(shape.base_broker_port, "broker-1")]
    controller_ports = [first(shape.controller_port, "controller-1")]
    # The exact ports of every tier are taken before any port walks, so a walk cannot land
    # on another tier's documented port.
    http_firsts = {
        "registry": first(shape.registry_port, "registry-1", f"{_PORT_HINT}, or --registries 0")
        if shape.registries
        else 0,
        "connect": first(shape.connect_port, "connect-1", f"{_PORT_HINT}, or --connect-workers 0")
        if shape.connect_workers
        else 0,
    }
    broker_ports += [ports.near(_after(shape.base_broker_port)) for _ in range(shape.brokers - 1)]
    controller_ports += [
        ports.near(_after(shape.controller_port)) for _ in range(shape.controllers - 1)
    ]
    # Metrics follow the gRPC ports' choice: the documented defaults, or free ports.
    controller_metrics = [
        ports.near(_CONTROLLER_METRICS_PORT if shape.controller_port else 0)
        for _ in controller_ports
    ]
    broker_metrics = [
        ports.near(_BROKER_METRICS_PORT if shape.base_broker_port else 0) for _ in broker_ports
    ]
    etcd_port = ports.near(shape.etcd_port)
    etcd_peer = ports.near(_ETCD_PEER_PORT if shape.etcd_port else 0)

    controllers = tuple(
        ServiceEndpoint(f"controller-{i + 1}", "controller", shape.host, port, metrics)
        for i, (port, metrics) in enumerate(zip(controller_ports, controller_metrics, strict=True))
    )
    brokers = tuple(
        ServiceEndpoint(
            f"broker-{i + 1}",
            "broker",
            shape.host,
            port,
            metrics,
            rack=shape.racks[i % len(shape.racks)] if shape.racks else None,
        )
        for i, (port, metrics) in enumerate(zip(broker_ports, broker_metrics, strict=True))
    )
    etcd = ServiceEndpoint("etcd", "etcd", shape.host, etcd_port)
    registries = _http_tier(
        ports, shape, "registry", count=shape.registries, first_port=http_firsts["registry"],
        defaults=(shape.registry_port, _REGISTRY_GRPC_PORT, _REGISTRY_METRICS_PORT),
    )  # fmt: skip
    workers = _http_tier(
        ports, shape, "connect", count=shape.connect_workers, first_port=http_firsts["connect"],
        defaults=(shape.connect_port, _CONNECT_GRPC_PORT, _CONNECT_METRICS_PORT),
    )  # fmt: skip
    return ClusterPlan(etcd, etcd_peer, controllers, brokers, registries, workers)


def _http_tier(
    ports: PortPlanner,
    shape: ClusterShape,
    kind: ServiceKind,
    *,
    count: int,
    first_port: int,
    defaults: tuple[int, int, int],
) -> tuple[ServiceEndpoint, ...]:
    """REST, gRPC and metrics ports for `count` instances: the documented defaults walking
    upward, or free ports when the tier's REST port was given as 0."""
    rest_default, grpc_default, metrics_default = defaults if defaults[0] else (0, 0, 0)
    endpoints = []
    for index in range(count):
        rest = first_port if index == 0 else ports.near(rest_default)
        endpoints.append(
            ServiceEndpoint(
                f"{kind}-{index + 1}", kind, shape.host, rest,
                metrics_port=ports.near(metrics_default), grpc_port=ports.near(grpc_default),
            )
        )  # fmt: skip
    return tuple(endpoints)


def _after(port: int) -> int:
    return port + 1 if port else 0


def broker_id(endpoint: ServiceEndpoint) -> int:
    """Broker ids are 1..N, taken from the name `broker-<id>`."""
    return int(endpoint.name.rsplit("-", 1)[1])


def controller_argv(
    shape: ClusterShape, plan: ClusterPlan, controller: ServiceEndpoint
) -> list[str]:
    return [
        sys.executable, "-m", "kanal_controller",
        "--controller-id", controller.name,
        "--host", controller.host,
        "--port", str(controller.port),
        "--metrics-port", str(controller.metrics_port),
        "--etcd", plan.etcd.address,
        "--cluster-id", shape.cluster_id,
        "--rebalance-on-broker-join",
    ]  # fmt: skip


def broker_argv(
    shape: ClusterShape, plan: ClusterPlan, broker: ServiceEndpoint, data_dir: Path
) -> list[str]:
    argv = [
        sys.executable, "-m", "kanal_broker",
        "--broker-id", str(broker_id(broker)),
        "--host", broker.host,
        "--port", str(broker.port),
        "--metrics-port", str(broker.metrics_port),
        "--data-dir", str(data_dir / broker.name),
        "--etcd", plan.etcd.address,
        "--cluster-id", shape.cluster_id,
    ]  # fmt: skip
    if broker.rack:
        argv += ["--rack", broker.rack]
    if shape.session_timeout_ms is not None:
        argv += ["--session-timeout-ms", str(shape.session_timeout_ms)]
    return argv


def registry_argv(shape: ClusterShape, plan: ClusterPlan, registry: ServiceEndpoint) -> list[str]:
    """The contract command line of a schema registry instance (round 3 notes)."""
    return [
        sys.executable, "-m", "kanal_registry",
        "--instance-id", registry.name,
        "--host", registry.host,
        "--port", str(registry.port),
        "--grpc-port", str(registry.grpc_port),
        "--metrics-port", str(registry.metrics_port),
        "--bootstrap", _bootstrap(plan),
        "--etcd", plan.etcd.address,
        "--cluster-id", shape.cluster_id,
    ]  # fmt: skip


def connect_argv(shape: ClusterShape, plan: ClusterPlan, worker: ServiceEndpoint) -> list[str]:
    """The contract command line of a connect worker; it uses the first registry, if any."""
    argv = [
        sys.executable, "-m", "kanal_connect",
        "--worker-id", worker.name,
        "--host", worker.host,
        "--port", str(worker.port),
        "--grpc-port", str(worker.grpc_port),
        "--metrics-port", str(worker.metrics_port),
        "--bootstrap", _bootstrap(plan),
    ]  # fmt: skip
    if plan.registries:
        argv += ["--schema-registry-url", plan.registries[0].url]
    return argv


def _bootstrap(plan: ClusterPlan) -> str:
    return ",".join(broker.address for broker in plan.brokers)
