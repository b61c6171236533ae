"""The registry's settings, read from flags and the environment at the process edge only."""

from __future__ import annotations

from dataclasses import dataclass

from kanal.types import HostPort


@dataclass(frozen=True, slots=True)
class RegistrySettings:
    instance_id: str
    """This instance's name in the primary key (default: advertised host:port)."""
    etcd_endpoints: tuple[HostPort, ...]
    host: str = "127.0.0.1"
    """Address the REST and gRPC servers listen on."""
    port: int = 8081
    """REST port (Confluent's API)."""
    grpc_port: int = 8082
    advertised_host: str = ""
    """Host the other instances forward writes to (default: `host`)."""
    metrics_port: int = 9407
    """Prometheus port; 0 disables it."""
    bootstrap: str = "127.0.0.1:9091"
    """Brokers holding the `_schemas` topic."""
    cluster_id: str = "kanal"
    """Keys live under /kanal/<cluster-id>/ in etcd."""
    lease_ttl_s: int = 5
    """TTL of the primary's etcd lease: how long writes pause when a primary dies."""
    otlp_endpoint: str = ""
    """OpenTelemetry collector (OTLP/gRPC) to export spans to; empty leaves tracing to the
    standard OTEL_* variables, off unless they name an endpoint (kanal.tracing.setup)."""
    write_timeout_s: float = 30.0
    """How long one write (or a wait for a primary) may take before 50002 / 50004."""
    shutdown_grace_s: float = 5.0
    """How long in-flight requests may finish after SIGTERM."""

    @property
    def advertised_url(self) -> str:
        return f"http://{self.advertised_host or self.host}:{self.port}"
