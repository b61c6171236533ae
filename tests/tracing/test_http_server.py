"""The REST edges' span middleware on a real aiohttp server in this process: names and
attributes per the HTTP semantic conventions, the caller's trace continued, 5xx (and only
5xx) marked as errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kanal.tracing.http_server import http_server_middlewares
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from .http_app import served

TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C
PARENT_ID = 0xB7AD6B7169203331
TRACEPARENT = f"00-{TRACE_ID:032x}-{PARENT_ID:016x}-01"


async def _item(request: web.Request) -> web.Response:
    return web.json_response({"item": request.match_info["item"]})


async def _broken(request: web.Request) -> web.Response:
    raise RuntimeError("broken handler")


async def _missing(request: web.Request) -> web.Response:
    raise web.HTTPNotFound()


@pytest.fixture
async def base_url(spans: InMemorySpanExporter) -> AsyncIterator[str]:
    del spans  # tracing must be on before the application is built
    app = web.Application(middlewares=http_server_middlewares())
    app.router.add_get("/", _missing)
    app.router.add_get("/items/{item}", _item)
    app.router.add_get("/broken", _broken)
    app.router.add_get("/missing", _missing)
    async with served(app) as url:
        yield url


async def _get(url: str, headers: dict[str, str] | None = None) -> int:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as answer:
        return answer.status


def _only_span(spans: InMemorySpanExporter) -> ReadableSpan:
    finished = spans.get_finished_spans()
    assert len(finished) == 1, [s.name for s in finished]
    return finished[0]


async def test_a_request_with_traceparent_continues_the_callers_trace(
        base_url: str, spans: InMemorySpanExporter) -> None:
    assert await _get(f"{base_url}/items/42", {"traceparent": TRACEPARENT}) == 200
    span = _only_span(spans)
    assert span.name == "GET /items/{item}"
    assert span.kind == SpanKind.SERVER
    assert span.context is not None and span.context.trace_id == TRACE_ID
    assert span.parent is not None and span.parent.span_id == PARENT_ID
    assert span.parent.is_remote
    attributes = dict(span.attributes or {})
    assert attributes["http.request.method"] == "GET"
    assert attributes["http.route"] == "/items/{item}"
    assert attributes["url.path"] == "/items/42"
    assert attributes["http.response.status_code"] == 200
    assert attributes["server.address"] == "127.0.0.1"
    assert span.status.status_code == StatusCode.UNSET


async def test_a_request_without_traceparent_starts_a_trace(
        base_url: str, spans: InMemorySpanExporter) -> None:
    assert await _get(f"{base_url}/items/1") == 200
    assert _only_span(spans).parent is None


async def test_an_unmatched_path_is_named_by_its_method_alone(
        base_url: str, spans: InMemorySpanExporter) -> None:
    assert await _get(f"{base_url}/nowhere/at/all") == 404
    span = _only_span(spans)
    assert span.name == "GET"
    assert "http.route" not in (span.attributes or {})
    assert (span.attributes or {})["http.response.status_code"] == 404
    assert span.status.status_code == StatusCode.UNSET  # the client's mistake


async def test_a_raised_client_error_is_no_server_error(
        base_url: str, spans: InMemorySpanExporter) -> None:
    assert await _get(f"{base_url}/missing") == 404
    span = _only_span(spans)
    assert span.name == "GET /missing"
    assert span.status.status_code == StatusCode.UNSET


async def test_a_failing_handler_makes_an_error_span(
        base_url: str, spans: InMemorySpanExporter) -> None:
    assert await _get(f"{base_url}/broken") == 500
    span = _only_span(spans)
    assert span.status.status_code == StatusCode.ERROR
    attributes = dict(span.attributes or {})
    assert attributes["http.response.status_code"] == 500
    assert attributes["error.type"] == "RuntimeError"
    assert [event.name for event in span.events] == ["exception"]


async def test_an_untraced_probe_gets_no_span_but_a_traced_one_does(
        base_url: str, spans: InMemorySpanExporter) -> None:
    assert await _get(f"{base_url}/") == 404
    assert spans.get_finished_spans() == ()
    assert await _get(f"{base_url}/", {"traceparent": TRACEPARENT}) == 404
    assert _only_span(spans).name == "GET /"


HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(traceparent=st.one_of(HEADER_TEXT, HEADER_TEXT.map(lambda t: f"00-{t}")),
       tracestate=HEADER_TEXT)
def test_any_trace_headers_still_answer_and_start_a_valid_span(
        spans: InMemorySpanExporter, traceparent: str, tracestate: str) -> None:
    """Malformed trace context is the caller's problem, never the request's: the handler
    answers as usual and the span is one of a valid trace (the caller's only when the
    header parses)."""
    spans.clear()

    async def call() -> int:
        app = web.Application(middlewares=http_server_middlewares())
        app.router.add_get("/items/{item}", _item)
        async with served(app) as url:
            return await _get(f"{url}/items/7",
                              {"traceparent": traceparent, "tracestate": tracestate})

    assert asyncio.run(call()) == 200
    span = _only_span(spans)
    assert span.context is not None and span.context.is_valid
    assert span.name == "GET /items/{item}"
