"""Process-wide tracing for the services: an SDK tracer provider exporting over OTLP/gRPC,
configured like every OpenTelemetry SDK, from the standard environment variables.

- On when an endpoint is given (`--otlp-endpoint`) or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` /
  `OTEL_EXPORTER_OTLP_ENDPOINT` is set; off when `OTEL_SDK_DISABLED=true` or
  `OTEL_TRACES_EXPORTER=none`. Off means no provider is installed at all.
- The sampler comes from `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` (the SDK's default
  is parentbased_always_on), the batch processor from `OTEL_BSP_*`, the service name from
  `OTEL_SERVICE_NAME` or else the service's own name, extra resource attributes from
  `OTEL_RESOURCE_ATTRIBUTES`, exporter headers/TLS from `OTEL_EXPORTER_OTLP_*`.

The SDK and the exporter are imported only here and only when tracing is turned on, so a
client-only install (`kanal` without the `server` extra) never needs them.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opentelemetry import trace

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

log = logging.getLogger(__name__)

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


@dataclass(frozen=True)
class TracingSetup:
    """The installed provider; `shutdown()` exports what is still queued (call on exit)."""

    provider: TracerProvider
    endpoint: str

    def shutdown(self) -> None:
        self.provider.shutdown()


def otlp_endpoint(flag: str, env: Mapping[str, str]) -> str:
    """The endpoint to export to, '' when tracing stays off. A bare host:port means plain
    gRPC (http://): the exporter would otherwise try TLS, which a collector on the cluster's
    network rarely speaks."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return ""
    if env.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "none":
        return ""
    endpoint = flag.strip() or next((env[v].strip() for v in ENDPOINT_VARIABLES if env.get(v)),
                                    "")
    if endpoint and "://" not in endpoint:
        endpoint = f"http://{endpoint}"
    return endpoint


def setup_tracing(service_name: str, flag: str = "",
                  env: Mapping[str, str] | None = None) -> TracingSetup | None:
    """Install the global tracer provider when tracing is configured; None when it is off."""
    env = os.environ if env is None else env
    endpoint = otlp_endpoint(flag, env)
    if not endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # Attributes given here override the environment's, so the default name goes in only
    # when the operator named the service nowhere.
    named = env.get("OTEL_SERVICE_NAME") or "service.name=" in env.get(
        "OTEL_RESOURCE_ATTRIBUTES", "")
    resource = Resource.create({} if named else {SERVICE_NAME: service_name})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    log.info("tracing: exporting spans over OTLP to %s", endpoint)
    return TracingSetup(provider, endpoint)


def run_traced(service_name: str, flag: str,
               main: Callable[[], Coroutine[object, object, None]]) -> None:
    """A service's life: tracing set up as `setup_tracing` decides, `asyncio.run(main())`,
    then the spans still queued exported, however the service ended."""
    tracing = setup_tracing(service_name, flag)
    try:
        asyncio.run(main())
    finally:
        if tracing is not None:
            tracing.shutdown()
