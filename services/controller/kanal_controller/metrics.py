"""Prometheus metrics of one controller, in their own registry (tests run several apps in one
process). Names follow Kafka's controller metrics where one exists: `active` is
ActiveControllerCount, `offline_partitions` is OfflinePartitionsCount, `leader_elections_total`
counts partition leader elections (LeaderElectionRateAndTimeMs)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from threading import Thread
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server


@dataclass
class RequestOutcome:
    """What an RPC handler reports about its request: the error name, NONE on success."""

    error: str = "NONE"


@dataclass
class ControllerMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter("kanal_controller_requests_total",
                                "Controller RPCs by API and error code", ["api", "error"],
                                registry=r)
        self.latency = Histogram("kanal_controller_request_latency_seconds",
                                 "Controller RPC latency", ["api"], registry=r)
        self.active = Gauge("kanal_controller_active",
                            "1 while this controller is the active one", registry=r)
        self.live_brokers = Gauge("kanal_controller_live_brokers",
                                  "Brokers registered in etcd", registry=r)
        self.topics = Gauge("kanal_controller_topics",
                            "Topics (reported by the active controller)", registry=r)
        self.partitions = Gauge("kanal_controller_partitions",
                                "Partitions (reported by the active controller)", registry=r)
        self.offline_partitions = Gauge(
            "kanal_controller_offline_partitions",
            "Partitions without a leader (reported by the active controller)", registry=r)
        self.leader_elections = Counter("kanal_controller_leader_elections",
                                        "Partition leader elections", registry=r)
        self.reassigning_partitions = Gauge(
            "kanal_controller_reassigning_partitions",
            "Partitions in the middle of a reassignment (reported by the active controller)",
            registry=r)
        self.decommission_refusals = Counter(
            "kanal_controller_decommission_refusals",
            "Broker decommissions refused because the other brokers cannot hold a topic's"
            " replication factor", registry=r)
        self._server: WSGIServer | None = None
        self._thread: Thread | None = None

    @contextmanager
    def request(self, api: str) -> Iterator[RequestOutcome]:
        outcome = RequestOutcome()
        started = time.perf_counter()
        try:
            yield outcome
        except BaseException:
            if outcome.error == "NONE":
                outcome.error = "UNKNOWN_SERVER_ERROR"
            raise
        finally:
            self.latency.labels(api).observe(time.perf_counter() - started)
            self.requests.labels(api, outcome.error).inc()

    def serve(self, host: str, port: int) -> None:
        """Expose /metrics. prometheus_client serves from its own thread, which only reads
        the registry."""
        if port:
            self._server, self._thread = start_http_server(port, host, registry=self.registry)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
