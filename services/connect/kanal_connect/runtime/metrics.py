"""The worker's Prometheus metrics, on a registry of its own. Names follow Kafka Connect's
task and worker metrics (source-record-poll-total -> kanal_connect_source_record_poll, ...)."""

from __future__ import annotations

import contextlib
import logging
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

log = logging.getLogger(__name__)

TASK_LABELS = ["connector", "task"]


class _Stoppable(Protocol):
    def shutdown(self) -> None: ...
    def server_close(self) -> None: ...


class ConnectMetrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.source_polled = Counter(
            "kanal_connect_source_record_poll", "Records returned by a source task's poll",
            TASK_LABELS, registry=r)
        self.source_written = Counter(
            "kanal_connect_source_record_write", "Source records acknowledged by the broker",
            TASK_LABELS, registry=r)
        self.sink_read = Counter(
            "kanal_connect_sink_record_read", "Records consumed for a sink task",
            TASK_LABELS, registry=r)
        self.sink_sent = Counter(
            "kanal_connect_sink_record_send", "Records handed to a sink task's put",
            TASK_LABELS, registry=r)
        self.source_poll_time = Histogram(
            "kanal_connect_source_poll_batch_seconds",
            "Time a source task's poll took to return records (Kafka's poll-batch-time)",
            TASK_LABELS, registry=r)
        self.sink_put_time = Histogram(
            "kanal_connect_sink_put_batch_seconds",
            "Time a sink task's put took for one poll's records (Kafka's put-batch-time)",
            TASK_LABELS, registry=r)
        self.offset_commit_lag = Gauge(
            "kanal_connect_offset_commit_lag_records",
            "Records processed by a task whose offsets are not committed yet",
            TASK_LABELS, registry=r)
        self.offset_commits = Counter(
            "kanal_connect_offset_commit", "Offset commits completed", TASK_LABELS, registry=r)
        self.record_failures = Counter(
            "kanal_connect_record_failures", "Records that failed a stage (total-record-failures)",
            TASK_LABELS, registry=r)
        self.records_skipped = Counter(
            "kanal_connect_records_skipped", "Records skipped by errors.tolerance=all",
            TASK_LABELS, registry=r)
        self.task_failures = Counter(
            "kanal_connect_task_failures", "Tasks that ended FAILED", TASK_LABELS, registry=r)
        self.connector_count = Gauge(
            "kanal_connect_worker_connector_count", "Connectors running on this worker",
            registry=r)
        self.task_count = Gauge(
            "kanal_connect_worker_task_count", "Tasks running on this worker", registry=r)
        self._server: _Stoppable | None = None

    def serve(self, host: str, port: int) -> None:
        if port:
            server, _thread = start_http_server(port, addr=host, registry=self.registry)
            self._server = server

    def stop(self) -> None:
        if self._server is not None:
            with contextlib.suppress(Exception):
                self._server.shutdown()
                self._server.server_close()
            self._server = None
