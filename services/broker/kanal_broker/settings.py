"""The broker's settings: one typed, frozen value built at the process edge (`__main__`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from kanal.types import HostPort

# Kafka's message.max.bytes default: 1 MiB of records plus the 12-byte log overhead.
DEFAULT_MESSAGE_MAX_BYTES = 1024 * 1024 + 12


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerSettings:
    broker_id: int
    """This broker's id in the cluster (the StatefulSet ordinal on Kubernetes)."""

    data_dir: Path
    """Where partition directories (`<topic>-<partition>/`) live."""

    host: str = "127.0.0.1"
    """Address the gRPC server binds to."""

    advertised_host: str = ""
    """Host clients use to reach this broker; empty means `host`."""

    port: int = 9091
    """gRPC port."""

    metrics_port: int = 9404
    """Prometheus metrics HTTP port; 0 disables the endpoint."""

    rack: str = ""
    """Failure domain (zone) of this broker, for rack-aware replica placement."""

    etcd_endpoints: tuple[HostPort, ...] = field(
        default_factory=lambda: (HostPort("127.0.0.1", 2379),)
    )
    """etcd members to connect to."""

    cluster_id: str = "kanal"
    """Every key lives under /kanal/<cluster-id>/ in etcd."""

    session_timeout_ms: int = 6000
    """Lease TTL of the broker's registration: a silent broker is declared dead after it."""

    message_max_bytes: int = DEFAULT_MESSAGE_MAX_BYTES
    """Largest partition data (all batches of one partition in one produce request)."""

    log_retention_check_interval_ms: int = 300_000
    """How often retention, segment rolling and compaction run over every partition."""

    log_flush_interval_ms: int = 60_000
    """How often every partition's log is flushed to disk (fsync)."""

    log_cleaner_dedupe_buffer_size: int = 128 * 1024 * 1024
    """Memory one compaction pass may spend on its key map (Kafka's
    log.cleaner.dedupe.buffer.size); a key costs about KEY_MAP_BYTES_PER_KEY (log/cleaner.py), and a
    partition with more distinct keys in its dirty section is cleaned over several passes."""

    replica_lag_time_max_ms: int = 30_000
    """A follower that has not caught up to the leader's log end for this long leaves the
    ISR (Kafka's replica.lag.time.max.ms); the leader checks every half of it."""

    replica_fetch_max_bytes: int = 1024 * 1024
    """Bound on each partition's data in one follower fetch (replica.fetch.max.bytes); at
    least one batch is always sent."""

    replica_fetch_response_max_bytes: int = 10 * 1024 * 1024
    """Bound on a whole follower fetch answer (replica.fetch.response.max.bytes)."""

    replica_fetch_wait_max_ms: int = 500
    """How long a follower fetch waits on the leader for new data (replica.fetch.wait.max.ms);
    must stay below replica_lag_time_max_ms, or idle followers would drop out of the ISR."""

    replica_fetch_backoff_ms: int = 1000
    """Pause before fetching again from a leader that failed or cannot be reached."""

    controlled_shutdown_timeout_ms: int = 30000
    """On SIGTERM, how long the broker keeps asking the controller to move its leaderships
    to other in-sync replicas before it stops anyway (Kafka's controlled.shutdown.*); 0
    skips controlled shutdown."""

    otlp_endpoint: str = ""
    """OpenTelemetry collector (OTLP/gRPC) to export spans to; empty leaves tracing to the
    standard OTEL_* variables, off unless they name an endpoint (kanal.tracing.setup)."""

    group_consumer_heartbeat_interval_ms: int = 5_000
    """group.consumer.heartbeat.interval.ms: how often KIP-848 members are told to heartbeat."""

    group_consumer_session_timeout_ms: int = 45_000
    """group.consumer.session.timeout.ms: a KIP-848 member silent this long is fenced."""

    group_min_session_timeout_ms: int = 6_000
    """group.min.session.timeout.ms: the least session timeout a classic member may ask for."""

    group_max_session_timeout_ms: int = 1_800_000
    """group.max.session.timeout.ms: the largest session timeout a classic member may ask for."""

    group_initial_rebalance_delay_ms: int = 3_000
    """group.initial.rebalance.delay.ms: how long an empty classic group's first rebalance
    waits for more members."""

    offsets_retention_minutes: int = 7 * 24 * 60
    """offsets.retention.minutes: how long an empty group's committed offsets are kept."""

    shutdown_grace_s: float = 5.0
    """How long in-flight RPCs may run after SIGTERM before they are cancelled."""

    etcd_timeout_s: float = 5.0
    """Bound on every unary etcd call (watches are not bounded)."""

    @property
    def lease_ttl_s(self) -> int:
        """etcd lease TTLs are whole seconds: round the session timeout up, at least 1 s."""
        return max(1, math.ceil(self.session_timeout_ms / 1000))

    @property
    def advertised(self) -> HostPort:
        return HostPort(self.advertised_host or self.host, self.port)
