"""The schema-registry client over asyncio: the methods of `SchemaRegistryClient`
(registry_client.py), awaitable, on httpx's AsyncClient, with the same cache and the same
operations (registry_steps.py).

    async with AsyncSchemaRegistryClient("http://127.0.0.1:8081") as client:
        schema_id = await client.register_schema("orders-value", Schema(avro_text))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from kanal.serde import registry_api as api
from kanal.serde import registry_steps as steps
from kanal.serde.http_edge import (
    DEFAULT_TIMEOUT_S,
    HEADERS,
    parse_urls,
    read_answer,
    request_arguments,
    unreachable,
)
from kanal.serde.registry_api import ApiCall, Version
from kanal.serde.registry_cache import DEFAULT_CAPACITY, RegistryCache
from kanal.serde.registry_steps import Steps
from kanal.serde.schema_types import CompatibilityResult, RegisteredSchema, Schema, SchemaId

T = TypeVar("T")


class AsyncSchemaRegistryClient:
    def __init__(
        self,
        url: str | Sequence[str],
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        cache_capacity: int = DEFAULT_CAPACITY,
        latest_ttl_s: float | None = None,
        basic_auth: tuple[str, str] | None = None,
    ) -> None:
        self.urls = parse_urls(url)
        self.cache = RegistryCache(cache_capacity, latest_ttl_s)
        self._http = httpx.AsyncClient(headers=HEADERS, timeout=timeout_s, auth=basic_auth)

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncSchemaRegistryClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def call(self, call: ApiCall[T]) -> T:
        """One request, to the first URL that answers (connection failures try the next)."""
        last: Exception | None = None
        for base in self.urls:
            try:
                response = await self._http.request(
                    call.method, base + call.path, **request_arguments(call)
                )
            except httpx.TransportError as error:
                last = error
                continue
            return read_answer(call, response)
        raise unreachable(self.urls, last or RuntimeError("no URL"))

    async def run(self, operation: Steps[T]) -> T:
        """Drive a registry_steps operation: send each request, hand back its answer (or
        throw its error in, so the operation's cleanup runs)."""
        try:
            request = next(operation)
            while True:
                try:
                    answer: Any = await self.call(request)
                except Exception as error:
                    request = operation.throw(error)
                else:
                    request = operation.send(answer)
        except StopIteration as done:
            result: T = done.value
            return result

    # ---- cached ------------------------------------------------------------------------------

    async def register_schema(
        self, subject: str, schema: Schema, *, normalize: bool = False
    ) -> SchemaId:
        """The id of `schema` under `subject`, registering a new version if needed."""
        return await self.run(steps.register(self.cache, subject, schema, normalize=normalize))

    async def lookup_schema(
        self, subject: str, schema: Schema, *, normalize: bool = False, deleted: bool = False
    ) -> RegisteredSchema:
        """The version of `subject` holding `schema` (40403 when it has none)."""
        return await self.run(
            steps.lookup(self.cache, subject, schema, normalize=normalize, deleted=deleted)
        )

    async def get_schema(self, schema_id: SchemaId, *, subject: str | None = None) -> Schema:
        return await self.run(steps.schema_by_id(self.cache, schema_id, subject=subject))

    async def get_latest_version(self, subject: str) -> RegisteredSchema:
        return await self.run(steps.latest_version(self.cache, subject))

    async def get_version(
        self, subject: str, version: Version, *, deleted: bool = False
    ) -> RegisteredSchema:
        return await self.run(steps.version(self.cache, subject, version, deleted=deleted))

    async def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        call = api.delete_subject(subject, permanent=permanent)
        return await self.run(steps.forgetting(self.cache, subject, call))

    async def delete_version(
        self, subject: str, version: Version, *, permanent: bool = False
    ) -> int:
        call = api.delete_version(subject, version, permanent=permanent)
        return await self.run(steps.forgetting(self.cache, subject, call))

    # ---- straight to the registry ------------------------------------------------------------

    async def get_subjects(self, *, prefix: str | None = None, deleted: bool = False) -> list[str]:
        return await self.call(api.subjects(prefix=prefix, deleted=deleted))

    async def get_versions(self, subject: str, *, deleted: bool = False) -> list[int]:
        return await self.call(api.versions(subject, deleted=deleted))

    async def get_subjects_by_schema_id(self, schema_id: SchemaId) -> list[str]:
        return await self.call(api.subjects_of_id(schema_id))

    async def get_schema_types(self) -> list[str]:
        return await self.call(api.schema_types())

    async def test_compatibility(
        self,
        subject: str,
        schema: Schema,
        *,
        version: Version | None = api.LATEST,
        verbose: bool = False,
    ) -> CompatibilityResult:
        return await self.call(api.compatibility(subject, schema, version=version, verbose=verbose))

    async def get_compatibility(
        self, subject: str | None = None, *, default_to_global: bool = False
    ) -> str:
        return await self.call(api.get_config(subject, default_to_global=default_to_global))

    async def set_compatibility(self, level: str, subject: str | None = None) -> str:
        return await self.call(api.set_config(level, subject))

    async def delete_compatibility(self, subject: str) -> str:
        return await self.call(api.delete_config(subject))

    async def get_config(
        self, subject: str | None = None, *, default_to_global: bool = False
    ) -> dict[str, Any]:
        """The config object (`get_compatibility` is its level alone)."""
        return await self.call(api.config_settings(subject, default_to_global=default_to_global))

    async def update_config(
        self, settings: Mapping[str, object], subject: str | None = None
    ) -> dict[str, Any]:
        """Set config fields, e.g. `{"normalize": True}`; the others keep their values."""
        return await self.call(api.update_config_settings(settings, subject))

    async def get_mode(self, subject: str | None = None) -> str:
        return await self.call(api.get_mode(subject))

    async def set_mode(self, mode: str, subject: str | None = None, *, force: bool = False) -> str:
        return await self.call(api.set_mode(mode, subject, force=force))
