"""What a registry client remembers, so that serializers ask the registry once per schema.

- id -> schema: ids are immutable in a registry, so these never go stale.
- (subject, schema) -> id and -> registered version: stable too, until the subject's version
  is deleted (the client forgets the subject's entries when it deletes one itself).
- subject -> latest version, and (subject, version) -> version: "latest" moves when someone
  registers, so it expires after `latest_ttl_s` (None: kept until the subject is written
  through this client), like Confluent's `cache.latest.ttl.sec`.

Every map is a bounded LRU: a long-running consumer reading many schemas does not grow
without end. One lock guards each map; nothing inside it waits, so asyncio code may use it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from kanal.serde.schema_types import RegisteredSchema, Schema, SchemaId

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_CAPACITY = 1000


class LruCache(Generic[K, V]):
    """A bounded map that drops the least recently used entry, with optional expiry."""

    def __init__(
        self,
        capacity: int = DEFAULT_CAPACITY,
        ttl_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.ttl_s = ttl_s
        self._clock = clock
        self._entries: OrderedDict[K, tuple[V, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            value, stored_at = entry
            if self.ttl_s is not None and self._clock() - stored_at > self.ttl_s:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = (value, self._clock())
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def discard_where(self, matches: Callable[[K], bool]) -> None:
        with self._lock:
            for key in [key for key in self._entries if matches(key)]:
                del self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class RegistryCache:
    def __init__(self, capacity: int = DEFAULT_CAPACITY, latest_ttl_s: float | None = None):
        self.schemas: LruCache[SchemaId, Schema] = LruCache(capacity)
        self.ids: LruCache[tuple[str, Schema], SchemaId] = LruCache(capacity)
        self.registered: LruCache[tuple[str, Schema], RegisteredSchema] = LruCache(capacity)
        self.latest: LruCache[str, RegisteredSchema] = LruCache(capacity, latest_ttl_s)
        self.versions: LruCache[tuple[str, int], RegisteredSchema] = LruCache(capacity)

    def remember(self, registered: RegisteredSchema) -> None:
        """Everything a registered version tells: its id's schema and its subject's lookup."""
        key = (registered.subject, registered.schema)
        self.schemas.put(registered.schema_id, registered.schema)
        self.ids.put(key, registered.schema_id)
        self.registered.put(key, registered)
        self.versions.put((registered.subject, registered.version), registered)

    def forget_subject(self, subject: str) -> None:
        """After a delete or a new version in `subject`: its lookups may have changed.
        Ids stay: a schema id never changes meaning."""
        self.ids.discard_where(lambda key: key[0] == subject)
        self.registered.discard_where(lambda key: key[0] == subject)
        self.versions.discard_where(lambda key: key[0] == subject)
        self.latest.discard_where(lambda key: key == subject)

    def clear(self) -> None:
        for cache in (self.schemas, self.ids, self.registered, self.latest, self.versions):
            cache.clear()
