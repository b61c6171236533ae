"""The broker's Prometheus metrics, on a registry of its own (never the global one).

Names follow Kafka's where one exists (BytesInPerSec -> bytes_in_total, ...). Gauges about
partitions are set from the event loop after each log operation; the HTTP endpoint only reads.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Protocol

from kanal.types import TopicPartition
from kanal.v1 import common_pb2
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

log = logging.getLogger(__name__)


class _Stoppable(Protocol):
    def shutdown(self) -> None: ...
    def server_close(self) -> None: ...


def error_name(code: int) -> str:
    """The ErrorCode enum name of a Kafka error code ("NONE", "NOT_LEADER_OR_FOLLOWER")."""
    try:
        return common_pb2.ErrorCode.Name(code)  # type: ignore[arg-type]
    except ValueError:
        return str(code)


class BrokerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("kanal_broker_requests", "Requests answered, by outcome",
                                ["api", "error"], registry=r)
        self.request_latency = Histogram("kanal_broker_request_latency_seconds",
                                         "Time from request to answer", ["api"], registry=r)
        self.messages_in = Counter("kanal_broker_messages_in", "Records appended",
                                   ["topic"], registry=r)
        self.bytes_in = Counter("kanal_broker_bytes_in", "Record batch bytes appended",
                                ["topic"], registry=r)
        self.bytes_out = Counter("kanal_broker_bytes_out", "Record batch bytes fetched",
                                 ["topic"], registry=r)
        labels = ["topic", "partition"]
        self.log_end_offset = Gauge("kanal_broker_log_end_offset", "Next offset to assign",
                                    labels, registry=r)
        self.log_start_offset = Gauge("kanal_broker_log_start_offset",
                                      "First offset still held", labels, registry=r)
        self.log_size = Gauge("kanal_broker_log_size_bytes", "Bytes of the partition's log",
                              labels, registry=r)
        self.leader_count = Gauge("kanal_broker_leader_count",
                                  "Partitions this broker leads", registry=r)
        self.partition_count = Gauge("kanal_broker_partition_count",
                                     "Partitions hosted by this broker", registry=r)
        self.registered = Gauge("kanal_broker_registered",
                                "1 while the broker holds its etcd registration", registry=r)
        self.under_replicated = Gauge(
            "kanal_broker_under_replicated_partitions",
            "Partitions led here whose ISR is smaller than their replica set", registry=r)
        self.under_min_isr = Gauge(
            "kanal_broker_under_min_isr_partitions",
            "Partitions led here whose ISR is below min.insync.replicas", registry=r)
        self.isr_shrinks = Counter("kanal_broker_isr_shrinks",
                                   "ISR changes made by this leader that removed replicas",
                                   registry=r)
        self.isr_expands = Counter("kanal_broker_isr_expands",
                                   "ISR changes made by this leader that added replicas",
                                   registry=r)
        self.replica_lag = Gauge("kanal_broker_replica_lag",
                                 "Records a follower is behind this leader's log end",
                                 ["topic", "partition", "follower"], registry=r)
        self.throttled_bytes = Counter(
            "kanal_broker_replication_throttled_bytes",
            "Bytes fetched by this broker as a replica being added by a throttled"
            " reassignment", registry=r)
        self.producer_ids = Gauge(
            "kanal_broker_producer_ids",
            "Idempotent producer ids with state in this broker's partitions (Kafka's"
            " ProducerIdCount)", registry=r)
        self._lag_labels: set[tuple[str, str, str]] = set()
        self._server: _Stoppable | None = None

    def serve(self, host: str, port: int) -> None:
        """Serve /metrics on host:port (a daemon thread of prometheus_client); 0 disables."""
        if port:
            server, _thread = start_http_server(port, addr=host, registry=self.registry)
            self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def request(self, api: str, error_code: int, seconds: float) -> None:
        self.requests.labels(api, error_name(error_code)).inc()
        self.request_latency.labels(api).observe(seconds)

    def observe_partition(self, tp: TopicPartition, *, log_start_offset: int,
                          log_end_offset: int, size_bytes: int) -> None:
        labels = (tp.topic, str(tp.partition))
        self.log_end_offset.labels(*labels).set(log_end_offset)
        self.log_start_offset.labels(*labels).set(log_start_offset)
        self.log_size.labels(*labels).set(size_bytes)

    def forget_partition(self, tp: TopicPartition) -> None:
        labels = (tp.topic, str(tp.partition))
        for gauge in (self.log_end_offset, self.log_start_offset, self.log_size):
            with contextlib.suppress(KeyError):
                gauge.remove(*labels)
        self.forget_replica_lag(tp)

    def observe_replica_lag(self, tp: TopicPartition, follower: int, lag: int) -> None:
        labels = (tp.topic, str(tp.partition), str(follower))
        self._lag_labels.add(labels)
        self.replica_lag.labels(*labels).set(lag)

    def forget_replica_lag(self, tp: TopicPartition) -> None:
        """The partition is no longer led here: its followers' lag is not ours to report."""
        prefix = (tp.topic, str(tp.partition))
        for labels in [x for x in self._lag_labels if x[:2] == prefix]:
            self._lag_labels.discard(labels)
            with contextlib.suppress(KeyError):
                self.replica_lag.remove(*labels)
