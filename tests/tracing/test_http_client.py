"""The services' forwarding HTTP calls: a CLIENT span under the current recording span, its
context sent as `traceparent` so the server's REST span joins the same trace; nothing at all
outside a recording span."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from kanal.tracing.http_client import http_client_trace_configs
from kanal.tracing.http_server import http_server_middlewares
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from .http_app import served

SEEN = web.AppKey("seen", list)


async def _echo(request: web.Request) -> web.Response:
    request.app[SEEN].append(request.headers.get("traceparent"))
    return web.Response(status=int(request.query.get("status", "200")))


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[str | None]]]:
    """An aiohttp server without spans of its own, noting each request's traceparent."""
    app = web.Application()
    app[SEEN] = []
    app.router.add_post("/echo", _echo)
    async with served(app) as url:
        yield url, app[SEEN]


async def _post(url: str) -> int:
    async with aiohttp.ClientSession(trace_configs=http_client_trace_configs()) as session, \
            session.post(url) as answer:
        return answer.status


async def test_a_call_under_a_recording_span_is_its_child_and_carries_its_context(
        server: tuple[str, list[str | None]], spans: InMemorySpanExporter) -> None:
    url, seen = server
    with trace.get_tracer("test").start_as_current_span("handling") as parent:
        assert await _post(f"{url}/echo?status=409") == 409
    client = next(s for s in spans.get_finished_spans() if s.kind == SpanKind.CLIENT)
    assert client.name == "POST"
    assert client.parent is not None
    assert client.parent.span_id == parent.get_span_context().span_id
    assert client.context is not None
    ids = f"00-{client.context.trace_id:032x}-{client.context.span_id:016x}-"
    assert len(seen) == 1 and seen[0] is not None and seen[0].startswith(ids)
    attributes = dict(client.attributes or {})
    assert attributes["http.response.status_code"] == 409
    assert attributes["server.address"] == "127.0.0.1"
    assert client.status.status_code == StatusCode.ERROR  # a refused call, seen by its client


async def test_a_call_outside_any_span_is_not_traced(
        server: tuple[str, list[str | None]], spans: InMemorySpanExporter) -> None:
    url, seen = server
    assert await _post(f"{url}/echo") == 200
    assert spans.get_finished_spans() == ()
    assert seen == [None]


async def test_a_failed_call_ends_its_span_as_an_error(spans: InMemorySpanExporter) -> None:
    with trace.get_tracer("test").start_as_current_span("handling"), \
            pytest.raises(aiohttp.ClientConnectionError):
        await _post("http://127.0.0.1:1/nowhere")  # nothing listens on port 1
    client = next(s for s in spans.get_finished_spans() if s.kind == SpanKind.CLIENT)
    assert client.status.status_code == StatusCode.ERROR
    assert [event.name for event in client.events] == ["exception"]


async def test_the_server_span_continues_the_client_span(
        spans: InMemorySpanExporter) -> None:
    app = web.Application(middlewares=http_server_middlewares())
    app[SEEN] = []
    app.router.add_post("/echo", _echo)
    async with served(app) as url:
        with trace.get_tracer("test").start_as_current_span("handling"):
            assert await _post(f"{url}/echo") == 200
    finished = {s.kind: s for s in spans.get_finished_spans()}
    client, server_span = finished[SpanKind.CLIENT], finished[SpanKind.SERVER]
    assert server_span.name == "POST /echo"
    assert server_span.parent is not None and client.context is not None
    assert server_span.parent.span_id == client.context.span_id
