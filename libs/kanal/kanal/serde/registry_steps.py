"""The registry operations that consult the client-side cache, written once for the sync and
the asyncio clients: each is a generator that yields the `ApiCall`s it needs, receives their
answers, and returns its result. A client drives it (`client.run(steps)`), sending each
answer back in; a cache hit yields nothing at all.

    def register(...):                      # sync:  client.run(register(...))
        cached = cache.ids.get(key)         # async: await client.run(register(...))
        if cached is not None: return cached
        schema_id = yield api.register(...)
        ...
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, TypeVar

from kanal.serde import registry_api as api
from kanal.serde.registry_api import ApiCall, Version
from kanal.serde.registry_cache import RegistryCache
from kanal.serde.schema_types import RegisteredSchema, Schema, SchemaId

T = TypeVar("T")
Steps = Generator[ApiCall[Any], Any, T]
"""Yields requests, is sent their answers, returns a T."""


def single(call: ApiCall[T]) -> Steps[T]:
    """One uncached request."""
    answer: T = yield call
    return answer


def register(
    cache: RegistryCache, subject: str, schema: Schema, *, normalize: bool
) -> Steps[SchemaId]:
    cached = cache.ids.get((subject, schema))
    if cached is not None:
        return cached
    schema_id: SchemaId = yield api.register(subject, schema, normalize=normalize)
    cache.ids.put((subject, schema), schema_id)
    cache.schemas.put(schema_id, schema)
    cache.latest.discard_where(lambda key: key == subject)
    return schema_id


def lookup(
    cache: RegistryCache, subject: str, schema: Schema, *, normalize: bool, deleted: bool
) -> Steps[RegisteredSchema]:
    cached = cache.registered.get((subject, schema))
    if cached is not None:
        return cached
    found: RegisteredSchema = yield api.lookup(
        subject, schema, normalize=normalize, deleted=deleted
    )
    cache.remember(found)
    # The lookup's key is the schema as asked (the registry may answer a normalized text).
    cache.ids.put((subject, schema), found.schema_id)
    cache.registered.put((subject, schema), found)
    return found


def schema_by_id(
    cache: RegistryCache, schema_id: SchemaId, *, subject: str | None
) -> Steps[Schema]:
    cached = cache.schemas.get(schema_id)
    if cached is not None:
        return cached
    schema: Schema = yield api.schema_by_id(schema_id, subject=subject)
    cache.schemas.put(schema_id, schema)
    return schema


def latest_version(cache: RegistryCache, subject: str) -> Steps[RegisteredSchema]:
    cached = cache.latest.get(subject)
    if cached is not None:
        return cached
    latest: RegisteredSchema = yield api.version(subject, api.LATEST)
    cache.remember(latest)
    cache.latest.put(subject, latest)
    return latest


def version(
    cache: RegistryCache, subject: str, number: Version, *, deleted: bool
) -> Steps[RegisteredSchema]:
    if number in (api.LATEST, -1):
        return (yield from latest_version(cache, subject))
    concrete = _version_number(number)
    cached = None if concrete is None else cache.versions.get((subject, concrete))
    if cached is not None:
        return cached
    found: RegisteredSchema = yield api.version(subject, number, deleted=deleted)
    cache.remember(found)
    return found


def forgetting(cache: RegistryCache, subject: str, call: ApiCall[T]) -> Steps[T]:
    """A write that changes `subject` (a delete): its cached lookups are dropped, whatever
    the answer."""
    try:
        answer: T = yield call
    finally:
        cache.forget_subject(subject)
    return answer


def referenced_schemas(
    cache: RegistryCache, schema: Schema
) -> Steps[tuple[tuple[str, Schema], ...]]:
    """Every schema `schema` references, transitively, dependencies first, each once."""
    found: list[tuple[str, Schema]] = []
    seen: set[tuple[str, int]] = set()

    def visit(current: Schema) -> Steps[None]:
        for reference in current.references:
            key = (reference.subject, reference.version)
            if key in seen:
                continue
            seen.add(key)
            registered = yield from version(
                cache, reference.subject, reference.version, deleted=False
            )
            yield from visit(registered.schema)
            found.append((reference.name, registered.schema))

    yield from visit(schema)
    return tuple(found)


def _version_number(number: Version) -> int | None:
    """A concrete version number, or None for anything the registry must interpret."""
    if isinstance(number, int):
        return number if number > 0 else None
    return int(number) if number.isdigit() else None


def done(value: T) -> Steps[T]:
    """An operation that needs no request."""
    yield from ()
    return value
