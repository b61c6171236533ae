"""Kafka Connect's error bodies `{"error_code": <http status>, "message": ...}` for every
failure, through one middleware: ConnectError subclasses carry their HTTP status; aiohttp's
own 404/405 and unreadable JSON are answered in the same shape."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus

from aiohttp import web

from kanal_connect.errors import ConnectError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(status: int, message: str) -> web.Response:
    return web.json_response({"error_code": status, "message": message}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ConnectError as error:
        return error_response(int(error.http_status), error.message)
    except web.HTTPException as error:
        if error.status < HTTPStatus.BAD_REQUEST:
            raise
        return error_response(error.status, error.reason or HTTPStatus(error.status).phrase)
    except json.JSONDecodeError as error:
        return error_response(HTTPStatus.BAD_REQUEST, f"Cannot deserialize the body: {error}")
    except Exception as error:
        log.exception("REST %s %s failed", request.method, request.path)
        return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, str(error))


class BodyError(ConnectError):
    """The request body is not what the endpoint takes."""

    http_status = HTTPStatus.BAD_REQUEST


async def json_object(request: web.Request) -> dict[str, object]:
    if not request.can_read_body:
        raise BodyError("Request body is required")
    body = json.loads(await request.text())
    if not isinstance(body, dict):
        raise BodyError("Request body must be a JSON object")
    return body


def string_map(value: object, what: str, *, nulls: bool = False) -> dict[str, str | None]:
    """A connector config: a JSON object of strings (numbers and booleans are accepted and
    turned into their JSON text, as Kafka's Jackson binding does)."""
    if not isinstance(value, dict):
        raise BodyError(f"{what} must be a JSON object")
    out: dict[str, str | None] = {}
    for key, item in value.items():
        if item is None and nulls:
            out[str(key)] = None
        elif isinstance(item, bool):
            out[str(key)] = "true" if item else "false"
        elif isinstance(item, str | int | float):
            out[str(key)] = str(item)
        else:
            raise BodyError(f"{what}: the value of {key!r} must be a string")
    return out


def strings(value: dict[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in value.items() if v is not None}
