"""The controller's settings: one typed, frozen value built at the process edge (`__main__`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from kanal.types import HostPort


@dataclass(frozen=True, slots=True, kw_only=True)
class ControllerSettings:
    controller_id: str
    """Unique name of this controller among the cluster's controllers (default: hostname)."""

    host: str = "127.0.0.1"
    """Address the gRPC server binds to."""

    port: int = 9093
    """gRPC port; 0 picks a free port (tests)."""

    advertised_host: str = ""
    """Host other processes use to reach this controller; empty means `host`."""

    metrics_port: int = 9405
    """Prometheus metrics HTTP port; 0 disables the endpoint."""

    etcd_endpoints: tuple[HostPort, ...] = field(
        default_factory=lambda: (HostPort("127.0.0.1", 2379),)
    )
    """etcd members to connect to."""

    cluster_id: str = "kanal"
    """Every key lives under /kanal/<cluster-id>/ in etcd."""

    session_timeout_ms: int = 6000
    """Lease TTL of this controller's session: a dead active controller is replaced after it."""

    default_partitions: int = 1
    """Partition count of a topic created with num_partitions = 0."""

    default_replication_factor: int = 1
    """Replication factor of a topic created with replication_factor = 0."""

    max_partitions_per_topic: int = 10_000
    """Upper bound on a topic's partition count, so one request cannot exhaust memory or etcd."""

    etcd_max_txn_ops: int = 128
    """etcd's --max-txn-ops (128 by default): larger writes are split, topic key last."""

    auto_leader_rebalance: bool = True
    """Move leadership back to preferred replicas when a broker is imbalanced (Kafka's
    auto.leader.rebalance.enable)."""

    leader_imbalance_percentage: int = 10
    """A broker is imbalanced when more than this share of the partitions preferring it are
    led elsewhere (leader.imbalance.per.broker.percentage)."""

    leader_imbalance_check_interval_ms: int = 300_000
    """How often the balance is checked (leader.imbalance.check.interval.seconds)."""

    rebalance_on_broker_join: bool = False
    """Move partitions onto a broker that registers holding no replica (throttled by
    `rebalance_throttle_bytes_per_s`)."""

    rebalance_throttle_bytes_per_s: int = 10 * 1024 * 1024
    """Follower replication throttle of the moves a broker join or a StatefulSet scale-down
    starts; 0: unthrottled."""

    k8s_broker_statefulset: str = ""
    """Broker StatefulSet to watch (in-cluster config): brokers whose ordinal is at or above
    its spec.replicas are decommissioned. Empty: no watch."""

    k8s_namespace: str = "default"
    """Namespace of `k8s_broker_statefulset`."""

    shutdown_grace_s: float = 5.0
    """How long in-flight RPCs may run after SIGTERM before they are cancelled."""

    otlp_endpoint: str = ""
    """OpenTelemetry collector (OTLP/gRPC) to export spans to; empty leaves tracing to the
    standard OTEL_* variables, off unless they name an endpoint (kanal.tracing.setup)."""

    @property
    def lease_ttl_s(self) -> int:
        """etcd lease TTLs are whole seconds: round the session timeout up, at least 2 s."""
        return max(2, math.ceil(self.session_timeout_ms / 1000))

    @property
    def advertised(self) -> HostPort:
        return HostPort(self.advertised_host or self.host, self.port)
