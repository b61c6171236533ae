"""An aiohttp server middleware for the REST edges (schema registry, connect worker): one
SERVER span per request, named and described per the OpenTelemetry HTTP semantic conventions
(`POST /subjects/{subject}/versions`; http.request.method, http.route, url.path,
http.response.status_code), continuing the caller's trace when the request carries a W3C
`traceparent` (through the global propagator, so `OTEL_PROPAGATORS` is honoured).

Unlike the gRPC interceptor, a request without a `traceparent` starts a trace: a REST call
is where an operator's work enters the system (curl, a CI job). The one exception is the
readiness probe (`GET /` on both services, every few seconds from Kubernetes or compose):
untraced probes get no span, or they would fill the trace store with one-span traces. The
sampler (`OTEL_TRACES_SAMPLER`) decides what is kept of the rest.

Why not opentelemetry-instrumentation-aiohttp-server: its releases pin an exact
opentelemetry-semantic-conventions version one patch behind the SDK's, so installing it
downgrades the API and breaks the SDK's pin; this module is the part we need.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from opentelemetry import propagate, trace
from opentelemetry.trace import Status, StatusCode
from opentelemetry.util.types import AttributeValue

from kanal.tracing.activation import active_tracer

# The methods the conventions name; any other is reported as `_OTHER` (an unbounded value
# would make one span name per garbage method).
KNOWN_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"})
PROBE_PATHS = frozenset({"/"})


def http_server_middlewares(probe_paths: frozenset[str] = PROBE_PATHS) -> list[Middleware]:
    """What to put first in `web.Application(middlewares=...)`: nothing when tracing is off.
    GETs of `probe_paths` start no trace of their own."""
    tracer = active_tracer()
    return [] if tracer is None else [_server_span_middleware(tracer, probe_paths)]


def _route(request: web.Request) -> str | None:
    """The matched route template (`/subjects/{subject}/versions`), None when none matched."""
    resource = request.match_info.route.resource
    return None if resource is None else resource.canonical


def request_attributes(request: web.Request) -> dict[str, AttributeValue]:
    method = request.method if request.method in KNOWN_METHODS else "_OTHER"
    attributes: dict[str, AttributeValue] = {
        "http.request.method": method,
        "url.path": request.path,
        "url.scheme": request.scheme,
    }
    if method == "_OTHER":
        attributes["http.request.method_original"] = request.method
    route = _route(request)
    if route is not None:
        attributes["http.route"] = route
    if request.host:
        host, _, port = request.host.rpartition(":")
        if host and port.isdigit():
            attributes["server.address"], attributes["server.port"] = host, int(port)
        else:
            attributes["server.address"] = request.host
    if request.remote:
        attributes["client.address"] = request.remote
    agent = request.headers.get("User-Agent")
    if agent:
        attributes["user_agent.original"] = agent
    return attributes


def span_name(attributes: Mapping[str, AttributeValue]) -> str:
    """`{method} {route}`, or the method alone when no route matched (the conventions ask
    for a low-cardinality name, so never the raw path)."""
    method = attributes["http.request.method"]
    name = "HTTP" if method == "_OTHER" else str(method)
    route = attributes.get("http.route")
    return name if route is None else f"{name} {route}"


def _finish(span: trace.Span, status: int) -> None:
    span.set_attribute("http.response.status_code", status)
    # A server span is an error only for 5xx: a 4xx is the client's mistake, well answered.
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        span.set_status(Status(StatusCode.ERROR))
        span.set_attribute("error.type", str(status))


def _server_span_middleware(tracer: trace.Tracer, probe_paths: frozenset[str]) -> Middleware:
    @web.middleware
    async def server_span(request: web.Request, handler: Handler) -> web.StreamResponse:
        parent = propagate.extract(request.headers)
        if request.method == "GET" and request.path in probe_paths \
                and not trace.get_current_span(parent).get_span_context().is_valid:
            return await handler(request)
        attributes = request_attributes(request)
        with tracer.start_as_current_span(
                span_name(attributes), context=parent, kind=trace.SpanKind.SERVER,
                attributes=attributes, record_exception=False,
                set_status_on_exception=False) as span:
            try:
                response = await handler(request)
            except web.HTTPException as exc:  # aiohttp's raised answers (404, 405, redirects)
                _finish(span, exc.status)
                raise
            except Exception as exc:  # aiohttp answers these 500
                span.record_exception(exc)
                span.set_attribute("error.type", type(exc).__qualname__)
                span.set_status(Status(StatusCode.ERROR, str(exc)))
                span.set_attribute("http.response.status_code", HTTPStatus.INTERNAL_SERVER_ERROR)
                raise
            _finish(span, response.status)
            return response

    return server_span
