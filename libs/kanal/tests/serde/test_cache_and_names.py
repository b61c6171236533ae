"""The client-side cache (bounded, expiring "latest") and the subject name strategies."""

from __future__ import annotations

import pytest
from kanal.errors import SerializationError
from kanal.serde import Schema, SchemaId
from kanal.serde.registry_cache import LruCache, RegistryCache
from kanal.serde.schema_types import RegisteredSchema
from kanal.serde.subject_names import (
    STRATEGIES,
    record_name_strategy,
    topic_name_strategy,
    topic_record_name_strategy,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_lru_drops_the_least_recently_used() -> None:
    cache: LruCache[str, int] = LruCache(capacity=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2


def test_entries_expire_after_their_ttl() -> None:
    clock = Clock()
    cache: LruCache[str, int] = LruCache(ttl_s=10, clock=clock)
    cache.put("latest", 1)
    clock.now = 10
    assert cache.get("latest") == 1
    clock.now = 10.5
    assert cache.get("latest") is None


def test_forgetting_a_subject_keeps_ids() -> None:
    cache = RegistryCache()
    schema = Schema('"int"')
    cache.remember(RegisteredSchema(SchemaId(5), "s", 1, schema))
    cache.remember(RegisteredSchema(SchemaId(6), "other", 1, schema))
    cache.latest.put("s", RegisteredSchema(SchemaId(5), "s", 1, schema))
    cache.forget_subject("s")
    assert cache.ids.get(("s", schema)) is None
    assert cache.latest.get("s") is None
    assert cache.versions.get(("s", 1)) is None
    assert cache.schemas.get(SchemaId(5)) == schema  # an id never changes meaning
    assert cache.ids.get(("other", schema)) == 6


def test_subject_name_strategies() -> None:
    assert topic_name_strategy("orders", False, "x.Order") == "orders-value"
    assert topic_name_strategy("orders", True, None) == "orders-key"
    assert record_name_strategy("orders", False, "x.Order") == "x.Order"
    assert topic_record_name_strategy("orders", True, "x.Order") == "orders-x.Order"
    with pytest.raises(SerializationError, match="named schema"):
        record_name_strategy("orders", False, None)
    assert set(STRATEGIES) == {"topic", "record", "topic_record"}
