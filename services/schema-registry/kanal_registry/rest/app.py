"""The REST edge: Confluent's API on aiohttp, and the one place errors become HTTP answers.

Every error answer is Confluent's body `{"error_code", "message"}`: a `RegistryError` with its
own code and status; aiohttp's own refusals (unknown path 404, wrong method 405, body too
large 413) with the HTTP status as the code; anything unexpected as 500, logged.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from kanal.tracing.http_server import http_server_middlewares
from prometheus_client import Counter

from kanal_registry.errors import RegistryError, RegistryErrorCode
from kanal_registry.metrics import RegistryMetrics
from kanal_registry.rest import schemas, settings_routes, subjects
from kanal_registry.rest.answer_cache import ANSWERS, AnswerCache
from kanal_registry.rest.edge import ACCEPTED_CONTENT_TYPES, SERVICE, answer
from kanal_registry.service.registry_service import RegistryService

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024 * 1024
_UNMATCHED = "unmatched"


def build_app(registry: RegistryService, metrics: RegistryMetrics) -> web.Application:
    # The span middleware goes first, so its span holds the whole answer, errors included.
    app = web.Application(client_max_size=MAX_BODY_BYTES,
                          middlewares=[*http_server_middlewares(), _edge(metrics)])
    app[SERVICE] = registry
    app[ANSWERS] = AnswerCache(registry.reads.state)
    app.router.add_get("/", _root)
    app.add_routes(subjects.routes)
    app.add_routes(schemas.routes)
    app.add_routes(settings_routes.routes)
    return app


async def _root(request: web.Request) -> web.Response:
    """Readiness: the server only listens once `_schemas` was read to its end."""
    del request
    return answer({})


def _edge(metrics: RegistryMetrics) -> Middleware:
    """One middleware (each costs a call per request, and lookups are the hot path): refuse
    bodies of a type Confluent does not take (415) before reading them, turn errors into
    answers, count every answer."""
    counters: dict[tuple[str, str, int], Counter] = {}

    @web.middleware
    async def edge(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.body_exists and request.content_type not in ACCEPTED_CONTENT_TYPES:
            response: web.StreamResponse = _error_answer(web.HTTPUnsupportedMediaType(
                reason=f"Unsupported content type {request.content_type!r}"))
        elif not _accepts_json(request.headers.get("Accept")):
            response = _error_answer(web.HTTPNotAcceptable(
                reason="The registry answers application/vnd.schemaregistry.v1+json"))
        else:
            try:
                response = await handler(request)
            except RegistryError as exc:
                response = answer(exc.to_json_body(), status=exc.http_status)
            except web.HTTPException as exc:
                if exc.status < 400:
                    raise
                response = _error_answer(exc)
            except Exception as exc:
                log.exception("unexpected error answering %s %s", request.method, request.path)
                code = RegistryErrorCode.INTERNAL_SERVER_ERROR
                response = answer({"error_code": int(code), "message": f"Internal error: {exc}"},
                                  status=code.http_status)
        resource = request.match_info.route.resource
        key = (request.method, resource.canonical if resource is not None else _UNMATCHED,
               response.status)
        counter = counters.get(key)
        if counter is None:
            counter = counters[key] = metrics.requests.labels(
                "rest", f"{key[0]} {key[1]}", str(key[2]))
        counter.inc()
        return response

    return edge


def _accepts_json(accept: str | None) -> bool:
    """Whether an Accept header admits one of the registry's JSON types (no header: yes)."""
    if not accept:
        return True
    for item in accept.split(","):
        media = item.split(";", 1)[0].strip().lower()
        if media in ACCEPTED_CONTENT_TYPES or media in ("*/*", "application/*"):
            return True
    return False


def _error_answer(exc: web.HTTPException) -> web.Response:
    return answer({"error_code": exc.status, "message": f"HTTP {exc.status} {exc.reason}"},
                  status=exc.status)
