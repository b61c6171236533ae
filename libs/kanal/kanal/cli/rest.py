"""The HTTP side of the command line: `kanal schema` (Confluent's registry API) and
`kanal connect` (Kafka Connect's API) speak JSON over HTTP with the standard library, so the
`kanal` command needs no HTTP dependency.

A refusal prints the server's own code and message, `Error: [40401] Subject 'x' not found.`,
and exits 1; an unreachable server says where it looked and how to point elsewhere.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import click
from click.decorators import FC

from kanal.cli.failures import CommandFailed

REGISTRY_URL_ENV = "KANAL_SCHEMA_REGISTRY_URL"
DEFAULT_REGISTRY_URL = "http://127.0.0.1:8081"
CONNECT_URL_ENV = "KANAL_CONNECT_URL"
DEFAULT_CONNECT_URL = "http://127.0.0.1:8083"
_TIMEOUT_S = 30.0
# Loopback dev clusters and in-cluster URLs alike: never through a proxy from the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def with_url_option(name: str, env: str, default: str, what: str) -> Callable[[FC], FC]:
    """Adds the URL option to a group and hands it to subcommands as `ctx.obj` (a RestClient)."""

    def decorate(group: FC) -> FC:
        def remember(ctx: click.Context, _param: click.Parameter, value: str) -> None:
            ctx.obj = RestClient(value, what=what, option=name, env=env)

        return click.option(
            name,
            envvar=env,
            default=default,
            show_default=True,
            metavar="URL",
            expose_value=False,
            callback=remember,
            help=f"Base URL of the {what} (env {env}).",
        )(group)

    return decorate


class RestClient:
    """JSON requests against one base URL; every failure becomes a one-line CommandFailed."""

    def __init__(self, base_url: str, *, what: str, option: str, env: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.what = what
        self._hint = f"start one with `kanal dev up`, or pass {option} URL (env {env})"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> Any:
        url = self.base_url + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with _DIRECT.open(request, timeout=_TIMEOUT_S) as answer:
                return _json(answer.read())
        except urllib.error.HTTPError as error:
            raise CommandFailed(_refusal(error.code, error.read())) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise CommandFailed(
                f"cannot reach the {self.what} at {self.base_url} ({reason}); {self._hint}"
            ) from None


def _json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise CommandFailed(f"the server answered with non-JSON: {raw[:200]!r}") from None


def _refusal(status: int, raw: bytes) -> str:
    """`[error_code] message` from Confluent's and Kafka Connect's error bodies."""
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if isinstance(body, dict) and "message" in body:
        return f"[{body.get('error_code', status)}] {body['message']}"
    text = raw.decode("utf-8", "replace").strip()[:200] or "no body"
    return f"[HTTP {status}] {text}"
