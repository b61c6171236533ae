"""Fixtures for the tracing tests: an in-process SDK tracer provider writing to memory, and
an OTLP collector the services export to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.util._once import Once

from .collector import OtlpCollector


def _reset_global_provider() -> None:
    # The API lets a process set its provider once; tests need tracing on in some and off in
    # others, so they put the API's globals back as they were at start (as OpenTelemetry's
    # own test utilities do).
    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on in this process: every finished span lands in the returned exporter."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    _reset_global_provider()
    trace.set_tracer_provider(provider)
    try:
        yield exporter
    finally:
        provider.shutdown()
        _reset_global_provider()


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> Iterator[OtlpCollector]:
    """An OTLP collector, and the environment that makes every service started by
    `dev_cluster` export to it (quickly: a 100 ms batch delay)."""
    server = OtlpCollector()
    server.start()
    monkeypatch.setenv("KANAL_BROKER_OTLP_ENDPOINT", server.endpoint)
    monkeypatch.setenv("KANAL_CONTROLLER_OTLP_ENDPOINT", server.endpoint)
    monkeypatch.setenv("KANAL_REGISTRY_OTLP_ENDPOINT", server.endpoint)
    monkeypatch.setenv("KANAL_CONNECT_OTLP_ENDPOINT", server.endpoint)
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")
    try:
        yield server
    finally:
        server.stop()
