"""The registry's Prometheus metrics, in one registry per instance (served on --metrics-port).

`endpoint` is the route template (`POST /subjects/{subject}/versions`) or the gRPC method,
never a concrete path, so subject names cannot blow up the label space. `status` is the HTTP
status for REST, `OK` or Confluent's error code for gRPC.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server


class _Stoppable(Protocol):
    def shutdown(self) -> None: ...
    def server_close(self) -> None: ...


class RegistryMetrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.requests = Counter(
            "kanal_registry_requests", "Requests answered, by edge, endpoint and status",
            ["edge", "endpoint", "status"], registry=r)
        self.schemas_registered = Counter(
            "kanal_registry_schemas_registered",
            "New subject versions registered by this instance as primary", registry=r)
        self.compatibility_failures = Counter(
            "kanal_registry_compatibility_failures",
            "Schemas found incompatible (registrations and checks)", registry=r)
        self.is_primary = Gauge(
            "kanal_registry_is_primary", "1 while this instance is the primary", registry=r)
        self._server: _Stoppable | None = None

    def track_primary(self, is_primary: Callable[[], bool]) -> None:
        self.is_primary.set_function(lambda: 1.0 if is_primary() else 0.0)

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
