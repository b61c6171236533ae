"""aiohttp client tracing for the services' own HTTP calls (a registry instance forwarding a
write to the primary, a connect worker forwarding to its leader): each request made while a
recording span is current becomes a CLIENT span under it, named by its method (the HTTP
semantic conventions: a client knows no route template), with its context sent as
`traceparent` so the server's REST span continues the same trace.

Requests made outside a recording span get nothing, not even a header: like the gRPC
servers, a service continues traces and never starts them on its own.
"""

from __future__ import annotations

from http import HTTPStatus
from types import SimpleNamespace

import aiohttp
from opentelemetry import propagate, trace
from opentelemetry.trace import Status, StatusCode

from kanal.tracing.activation import active_tracer
from kanal.tracing.http_server import KNOWN_METHODS

_SPAN = "kanal_client_span"  # the span's slot in aiohttp's per-request trace context


def http_client_trace_configs() -> list[aiohttp.TraceConfig]:
    """What to pass to `aiohttp.ClientSession(trace_configs=...)`: nothing when tracing is
    off."""
    tracer = active_tracer()
    return [] if tracer is None else [_client_spans(tracer)]


def _client_spans(tracer: trace.Tracer) -> aiohttp.TraceConfig:
    async def on_start(session: aiohttp.ClientSession, context: SimpleNamespace,
                       params: aiohttp.TraceRequestStartParams) -> None:
        del session
        if not trace.get_current_span().is_recording():
            return
        method = params.method.upper()
        known = method if method in KNOWN_METHODS else "_OTHER"
        attributes: dict[str, str | int] = {"http.request.method": known,
                                            "url.full": str(params.url.with_user(None))}
        if params.url.host:
            attributes["server.address"] = params.url.host
        if params.url.port is not None:
            attributes["server.port"] = params.url.port
        span = tracer.start_span("HTTP" if known == "_OTHER" else known,
                                 kind=trace.SpanKind.CLIENT, attributes=attributes)
        # aiohttp sends the very headers object the hook is given.
        propagate.inject(params.headers, context=trace.set_span_in_context(span))
        setattr(context, _SPAN, span)

    async def on_end(session: aiohttp.ClientSession, context: SimpleNamespace,
                     params: aiohttp.TraceRequestEndParams) -> None:
        del session
        span: trace.Span | None = getattr(context, _SPAN, None)
        if span is None:
            return
        status = params.response.status
        span.set_attribute("http.response.status_code", status)
        # A client span is an error for any status the server refused with (4xx and 5xx).
        if status >= HTTPStatus.BAD_REQUEST:
            span.set_status(Status(StatusCode.ERROR))
            span.set_attribute("error.type", str(status))
        span.end()

    async def on_exception(session: aiohttp.ClientSession, context: SimpleNamespace,
                           params: aiohttp.TraceRequestExceptionParams) -> None:
        del session
        span: trace.Span | None = getattr(context, _SPAN, None)
        if span is None:
            return
        span.record_exception(params.exception)
        span.set_attribute("error.type", type(params.exception).__qualname__)
        span.set_status(Status(StatusCode.ERROR, str(params.exception)))
        span.end()

    config = aiohttp.TraceConfig()
    config.on_request_start.append(on_start)
    config.on_request_end.append(on_end)
    config.on_request_exception.append(on_exception)
    return config
