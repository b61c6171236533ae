"""The schema-registry client (sync): Confluent's REST API with a client-side cache.

    client = SchemaRegistryClient("http://127.0.0.1:8081")
    schema_id = client.register_schema("orders-value", Schema(avro_text))
    client.get_schema(schema_id)      # answered from the cache from now on

Method names follow confluent-kafka's `SchemaRegistryClient`, so code ports by renaming the
import. `AsyncSchemaRegistryClient` (aio_registry_client.py) has the same methods over
asyncio; both run the operations of registry_steps.py, so they cache alike.
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


class SchemaRegistryClient:
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
        self._http = httpx.Client(headers=HEADERS, timeout=timeout_s, auth=basic_auth)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SchemaRegistryClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def call(self, call: ApiCall[T]) -> T:
        """One request, to the first URL that answers (connection failures try the next)."""
        last: Exception | None = None
        for base in self.urls:
            try:
                response = self._http.request(
                    call.method, base + call.path, **request_arguments(call)
                )
            except httpx.TransportError as error:
                last = error
                continue
            return read_answer(call, response)
        raise unreachable(self.urls, last or RuntimeError("no URL"))

    def run(self, operation: Steps[T]) -> T:
        """Drive a registry_steps operation: send each request, hand back its answer (or
        throw its error in, so the operation's cleanup runs)."""
        try:
            request = next(operation)
            while True:
                try:
                    answer: Any = self.call(request)
                except Exception as error:
                    request = operation.throw(error)
                else:
                    request = operation.send(answer)
        except StopIteration as done:
            result: T = done.value
            return result

    # ---- cached ------------------------------------------------------------------------------

    def register_schema(self, subject: str, schema: Schema, *, normalize: bool = False) -> SchemaId:
        """The id of `schema` under `subject`, registering a new version if needed."""
        return self.run(steps.register(self.cache, subject, schema, normalize=normalize))

    def lookup_schema(
        self, subject: str, schema: Schema, *, normalize: bool = False, deleted: bool = False
    ) -> RegisteredSchema:
        """The version of `subject` holding `schema` (40403 when it has none)."""
        return self.run(
            steps.lookup(self.cache, subject, schema, normalize=normalize, deleted=deleted)
        )

    def get_schema(self, schema_id: SchemaId, *, subject: str | None = None) -> Schema:
        return self.run(steps.schema_by_id(self.cache, schema_id, subject=subject))

    def get_latest_version(self, subject: str) -> RegisteredSchema:
        return self.run(steps.latest_version(self.cache, subject))

    def get_version(
        self, subject: str, version: Version, *, deleted: bool = False
    ) -> RegisteredSchema:
        return self.run(steps.version(self.cache, subject, version, deleted=deleted))

    def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        call = api.delete_subject(subject, permanent=permanent)
        return self.run(steps.forgetting(self.cache, subject, call))

    def delete_version(self, subject: str, version: Version, *, permanent: bool = False) -> int:
        call = api.delete_version(subject, version, permanent=permanent)
        return self.run(steps.forgetting(self.cache, subject, call))

    # ---- straight to the registry ------------------------------------------------------------

    def get_subjects(self, *, prefix: str | None = None, deleted: bool = False) -> list[str]:
        return self.call(api.subjects(prefix=prefix, deleted=deleted))

    def get_versions(self, subject: str, *, deleted: bool = False) -> list[int]:
        return self.call(api.versions(subject, deleted=deleted))

    def get_subjects_by_schema_id(self, schema_id: SchemaId) -> list[str]:
        return self.call(api.subjects_of_id(schema_id))

    def get_schema_types(self) -> list[str]:
        return self.call(api.schema_types())

    def test_compatibility(
        self,
        subject: str,
        schema: Schema,
        *,
        version: Version | None = api.LATEST,
        verbose: bool = False,
    ) -> CompatibilityResult:
        return self.call(api.compatibility(subject, schema, version=version, verbose=verbose))

    def get_compatibility(
        self, subject: str | None = None, *, default_to_global: bool = False
    ) -> str:
        return self.call(api.get_config(subject, default_to_global=default_to_global))

    def set_compatibility(self, level: str, subject: str | None = None) -> str:
        return self.call(api.set_config(level, subject))

    def delete_compatibility(self, subject: str) -> str:
        return self.call(api.delete_config(subject))

    def get_config(
        self, subject: str | None = None, *, default_to_global: bool = False
    ) -> dict[str, Any]:
        """The config object (`get_compatibility` is its level alone)."""
        return self.call(api.config_settings(subject, default_to_global=default_to_global))

    def update_config(
        self, settings: Mapping[str, object], subject: str | None = None
    ) -> dict[str, Any]:
        """Set config fields, e.g. `{"normalize": True}`; the others keep their values."""
        return self.call(api.update_config_settings(settings, subject))

    def get_mode(self, subject: str | None = None) -> str:
        return self.call(api.get_mode(subject))

    def set_mode(self, mode: str, subject: str | None = None, *, force: bool = False) -> str:
        return self.call(api.set_mode(mode, subject, force=force))
