"""Whether tracing is on: an SDK (or any real) tracer provider is installed globally.

The OpenTelemetry API alone answers with a proxy provider whose spans do nothing, but even a
no-op span costs a context lookup and whatever attributes the caller built. So the clients
ask once, when they are created, and keep `None` instead of a tracer when tracing is off:
their hot paths then test one attribute and do nothing else.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from opentelemetry import trace

INSTRUMENTATION = "kanal"


def _version() -> str:
    try:
        return version("kanal")
    except PackageNotFoundError:  # running from a source tree without metadata
        return "0"


_VERSION = _version()


def tracing_active() -> bool:
    """True when a tracer provider other than the API's default proxy/no-op is installed."""
    provider = trace.get_tracer_provider()
    return not isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider)


def active_tracer() -> trace.Tracer | None:
    """The tracer to use, or None when tracing is off (then trace nothing at all)."""
    if not tracing_active():
        return None
    return trace.get_tracer(INSTRUMENTATION, _VERSION)
