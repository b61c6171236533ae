"""The HTTP edge shared by the sync and asyncio registry clients: base URLs, headers, and the
one place where answers become values or `SchemaRegistryError`s."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

import httpx

from kanal.errors import ConfigurationError, SchemaRegistryError
from kanal.serde.registry_api import ACCEPT, CONTENT_TYPE, ApiCall, error_from_answer

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 10.0
HEADERS = {"Accept": ACCEPT, "Content-Type": CONTENT_TYPE}


def parse_urls(urls: str | Sequence[str]) -> tuple[str, ...]:
    """`"http://a:8081,http://b:8081"` or a list: tried in order until one answers."""
    items = urls.split(",") if isinstance(urls, str) else list(urls)
    parsed = tuple(item.strip().rstrip("/") for item in items if item.strip())
    if not parsed:
        raise ConfigurationError("no schema registry URL given")
    for url in parsed:
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"schema registry URL {url!r} must start with http(s)://")
    return parsed


def request_arguments(call: ApiCall[Any]) -> dict[str, Any]:
    arguments: dict[str, Any] = {"params": dict(call.params)}
    if call.body is not None:
        arguments["content"] = json.dumps(call.body).encode()
    return arguments


def unreachable(urls: Sequence[str], error: Exception) -> SchemaRegistryError:
    return SchemaRegistryError(f"cannot reach the schema registry at {', '.join(urls)}: {error}")


def read_answer(call: ApiCall[T], response: httpx.Response) -> T:
    try:
        data: Any = response.json() if response.content else None
    except ValueError:
        data = None
    if response.status_code >= 400:
        raise error_from_answer(response.status_code, data, response.text)
    if data is None and response.content:
        raise SchemaRegistryError(
            f"the schema registry answered {call.method} {call.path} with non-JSON: "
            f"{response.text[:200]!r}",
            http_status=response.status_code,
        )
    try:
        return call.parse(data)
    except SchemaRegistryError:
        raise
    except (KeyError, TypeError, ValueError) as error:
        raise SchemaRegistryError(
            f"unexpected answer to {call.method} {call.path}: {data!r:.200} ({error!r})"
        ) from None
