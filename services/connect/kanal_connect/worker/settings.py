"""The worker's settings, read from flags and `KANAL_CONNECT_*` variables at the edge."""

from __future__ import annotations

from dataclasses import dataclass, field

from kanal_connect.runtime.converters import WorkerConverters


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    bootstrap: str = "127.0.0.1:9091"
    """Brokers to bootstrap from (host:port, comma-separated)."""
    host: str = "127.0.0.1"
    """Address REST and gRPC listen on."""
    port: int = 8083
    """REST port (Kafka Connect's API)."""
    grpc_port: int = 8084
    """gRPC port (the same operations); 0 disables it."""
    advertised_host: str = ""
    """Host other workers and clients use to reach this one (default: `host`)."""
    metrics_port: int = 9408
    """Prometheus /metrics port; 0 disables it."""
    group_id: str = "connect-cluster"
    """Workers with the same group id form one cluster."""
    config_topic: str = "connect-configs"
    offset_topic: str = "connect-offsets"
    status_topic: str = "connect-status"
    offset_partitions: int = 25
    """Partitions of the offset topic when this worker creates it (Kafka's default)."""
    status_partitions: int = 5
    """Partitions of the status topic when this worker creates it (Kafka's default)."""
    schema_registry_url: str = "http://127.0.0.1:8081"
    worker_id: str = ""
    """This worker's id in statuses (default: advertised host:REST port, as Kafka)."""
    scheduled_rebalance_max_delay_ms: int = 300_000
    """How long a departed worker's connectors and tasks wait for it before moving."""
    offset_flush_interval_ms: int = 5_000
    """How often source offsets are stored and sink offsets committed."""
    task_shutdown_timeout_ms: int = 5_000
    """How long a stopping task may take to flush before it is cancelled."""
    converters: WorkerConverters = field(default_factory=WorkerConverters)
    plugin_modules: tuple[str, ...] = ()
    """Extra modules to load connector classes from (besides the entry points)."""
    distributed: bool = True
    """Join the group through the broker (needs kanal.client.classic_group)."""
    otlp_endpoint: str = ""
    """OpenTelemetry collector (OTLP/gRPC) to export spans to; empty leaves tracing to the
    standard OTEL_* variables, off unless they name an endpoint (kanal.tracing.setup)."""

    @property
    def advertised(self) -> str:
        return self.advertised_host or self.host

    @property
    def url(self) -> str:
        return f"http://{self.advertised}:{self.port}"

    @property
    def id(self) -> str:
        return self.worker_id or f"{self.advertised}:{self.port}"
