"""Where the services of a dev cluster listen: printed by `kanal dev up`, saved in cluster.json.

cluster.json is the contract between `kanal dev up --detach` and `kanal dev down|status`:

    {"cluster_id": "kanal", "data_dir": "/abs/data", "supervisor_pid": 123,
     "bootstrap": "127.0.0.1:9091,...", "etcd": "127.0.0.1:2379",
     "services": [{"name": "broker-1", "kind": "broker", "host": "127.0.0.1", "port": 9091,
                   "metrics_port": 9404, "pid": 130, "rack": null, "grpc_port": null},
                  {"name": "registry-1", "kind": "registry", "port": 8081, "grpc_port": 8082,
                   ...}, ...]}
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

ServiceKind = Literal["etcd", "controller", "broker", "registry", "connect"]
# Kinds that serve HTTP on `port` (their gRPC API is on `grpc_port`).
HTTP_KINDS: tuple[ServiceKind, ...] = ("registry", "connect")
CLUSTER_FILE = "cluster.json"


@dataclass(frozen=True, slots=True)
class ServiceEndpoint:
    name: str
    kind: ServiceKind
    host: str
    port: int
    metrics_port: int | None = None
    pid: int | None = None
    rack: str | None = None
    grpc_port: int | None = None
    """The gRPC port of an HTTP service (registry, connect); None for the others."""

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """How users reach the service: http://host:port for HTTP services, else host:port."""
        return f"http://{self.address}" if self.kind in HTTP_KINDS else self.address

    @property
    def metrics_url(self) -> str | None:
        if self.metrics_port is None:
            return None
        return f"http://{self.host}:{self.metrics_port}/metrics"


@dataclass(frozen=True, slots=True)
class ClusterEndpoints:
    cluster_id: str
    data_dir: str
    services: tuple[ServiceEndpoint, ...]
    supervisor_pid: int | None = None

    def of_kind(self, kind: ServiceKind) -> list[ServiceEndpoint]:
        return [service for service in self.services if service.kind == kind]

    @property
    def brokers(self) -> list[ServiceEndpoint]:
        return self.of_kind("broker")

    @property
    def controllers(self) -> list[ServiceEndpoint]:
        return self.of_kind("controller")

    @property
    def registries(self) -> list[ServiceEndpoint]:
        return self.of_kind("registry")

    @property
    def connect_workers(self) -> list[ServiceEndpoint]:
        return self.of_kind("connect")

    @property
    def registry_url(self) -> str | None:
        """The first schema registry's REST URL (None without registries)."""
        return self.registries[0].url if self.registries else None

    @property
    def connect_url(self) -> str | None:
        return self.connect_workers[0].url if self.connect_workers else None

    @property
    def bootstrap(self) -> str:
        """The `--bootstrap` / `bootstrap_servers` value: every broker, comma-separated."""
        return ",".join(broker.address for broker in self.brokers)

    @property
    def etcd(self) -> str:
        found = self.of_kind("etcd")
        return found[0].address if found else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "cluster_id": self.cluster_id,
            "data_dir": self.data_dir,
            "supervisor_pid": self.supervisor_pid,
            "bootstrap": self.bootstrap,
            "etcd": self.etcd,
            "services": [asdict(service) for service in self.services],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClusterEndpoints:
        services = tuple(ServiceEndpoint(**service) for service in data["services"])
        return cls(
            cluster_id=str(data["cluster_id"]),
            data_dir=str(data["data_dir"]),
            services=services,
            supervisor_pid=data.get("supervisor_pid"),
        )

    def write(self, path: Path) -> None:
        """Write atomically: a reader sees the old file, no file, or the whole new one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_suffix(".json.tmp")
        scratch.write_text(self.to_json() + "\n")
        os.replace(scratch, path)

    @classmethod
    def read(cls, path: Path) -> ClusterEndpoints:
        return cls.from_dict(json.loads(path.read_text()))
