"""Writes forwarded to the primary over its REST API, as Confluent's followers do.

Each method mirrors one of `WritePlanner`'s and returns the same result type, so the service
treats a forwarded write and a local one alike. An error body from the primary comes back as
the same `RegistryError` (its code survives the hop); a primary that cannot be reached, or
that answers that it is no longer primary, is a `ForwardingError` (50003, retriable).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp

from kanal_registry.errors import ForwardingError, registry_error_for_code
from kanal_registry.service.requests import SchemaRequest
from kanal_registry.service.writes import Registered
from kanal_registry.state.configs import SubjectConfig
from kanal_registry.state.modes import Mode

FORWARDED_HEADER = "X-Kanal-Forwarded"
"""Marks a forwarded request: its receiver answers it or fails, never forwards it again."""
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


def _subject_path(subject: str) -> str:
    return quote(subject, safe="")


def _flag(value: bool) -> str:
    return "true" if value else "false"


class PrimaryClient:
    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")

    async def register(self, subject: str, request: SchemaRequest, *, normalize: bool
                       ) -> Registered:
        answer = await self._call("POST", f"/subjects/{_subject_path(subject)}/versions",
                                  {"normalize": _flag(normalize)}, request.to_json())
        return Registered(int(answer["id"]), int(answer.get("version", 0)), new=False)

    async def delete_subject(self, subject: str, *, permanent: bool) -> list[int]:
        answer = await self._call("DELETE", f"/subjects/{_subject_path(subject)}",
                                  {"permanent": _flag(permanent)}, None)
        return [int(v) for v in answer]

    async def delete_version(self, subject: str, version: int, *, permanent: bool) -> int:
        answer = await self._call(
            "DELETE", f"/subjects/{_subject_path(subject)}/versions/{version}",
            {"permanent": _flag(permanent)}, None)
        return int(answer)

    async def set_config(self, subject: str | None, update: SubjectConfig) -> SubjectConfig:
        answer = await self._call("PUT", _config_path(subject), {},
                                  update.to_json(level_field="compatibility"))
        return SubjectConfig.from_json(answer)

    async def delete_config(self, subject: str | None) -> SubjectConfig:
        return SubjectConfig.from_json(await self._call("DELETE", _config_path(subject), {}, None))

    async def set_mode(self, subject: str | None, mode: str, *, force: bool) -> Mode:
        answer = await self._call("PUT", _mode_path(subject), {"force": _flag(force)},
                                  {"mode": mode})
        return Mode.parse(answer["mode"])

    async def delete_mode(self, subject: str | None) -> Mode:
        answer = await self._call("DELETE", _mode_path(subject), {}, None)
        return Mode.parse(answer["mode"])

    async def _call(self, method: str, path: str, query: Mapping[str, str],
                    body: object | None) -> Any:
        """The primary's JSON answer (its shape is the REST API's, checked by the callers)."""
        headers = {FORWARDED_HEADER: "1", "Accept": CONTENT_TYPE}
        try:
            async with self._session.request(
                method, self._base_url + path, params=dict(query), json=body, headers=headers,
            ) as response:
                answer = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, ValueError) as exc:
            raise ForwardingError(f"Error while forwarding the request to the primary at "
                                  f"{self._base_url}: {exc}") from None
        if status >= 400:
            if not isinstance(answer, dict) or not isinstance(answer.get("error_code"), int):
                raise ForwardingError(f"The primary answered HTTP {status}")
            raise registry_error_for_code(int(answer["error_code"]), str(answer.get("message")))
        return answer


def _config_path(subject: str | None) -> str:
    return "/config" if subject is None else f"/config/{_subject_path(subject)}"


def _mode_path(subject: str | None) -> str:
    return "/mode" if subject is None else f"/mode/{_subject_path(subject)}"
