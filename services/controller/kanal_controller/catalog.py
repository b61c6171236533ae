"""Reading the cluster's metadata back from etcd: topics, partition states, controllers.

Reads need no fence, so any controller (active or standby) can serve them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kanal.errors import KanalError
from kanal.meta.documents import BrokerRegistration, ControllerLease, PartitionState, TopicSpec
from kanal.meta.etcd import Entry, Etcd
from kanal.meta.layout import Layout

log = logging.getLogger(__name__)


def parse_registration(entry: Entry) -> BrokerRegistration | None:
    """The registration in `entry`, or None (logged) when it is not a valid document."""
    try:
        registration = BrokerRegistration.from_json(entry.value)
    except (KanalError, TypeError) as exc:
        log.warning("ignoring malformed broker registration %r: %s", entry.key, exc)
        return None
    # from_json keeps whatever JSON types the writer used: check the ones we compute with.
    numbers: tuple[object, ...] = (registration.broker_id, registration.port)
    if not all(isinstance(n, int) for n in numbers):
        log.warning("ignoring broker registration %r with a non-integer id or port", entry.key)
        return None
    return registration


@dataclass(frozen=True, slots=True)
class StoredTopic:
    spec: TopicSpec
    mod_revision: int
    """Compare against this to update the topic only if nobody changed it since the read."""


@dataclass(frozen=True, slots=True)
class StoredPartition:
    topic: str
    partition: int
    state: PartitionState
    mod_revision: int


class Catalog:
    def __init__(self, etcd: Etcd, layout: Layout) -> None:
        self._etcd = etcd
        self._layout = layout

    async def topic(self, name: str) -> StoredTopic | None:
        entry = await self._etcd.get(self._layout.topic(name))
        if entry is None:
            return None
        return StoredTopic(TopicSpec.from_json(entry.value), entry.mod_revision)

    async def topics(self) -> dict[str, StoredTopic]:
        snapshot = await self._etcd.get_prefix(self._layout.topics_prefix)
        topics: dict[str, StoredTopic] = {}
        for entry in snapshot.entries:
            try:
                spec = TopicSpec.from_json(entry.value)
            except (KanalError, TypeError) as exc:
                log.warning("ignoring malformed topic %r: %s", entry.key, exc)
                continue
            topics[spec.name] = StoredTopic(spec, entry.mod_revision)
        return topics

    async def partitions(self, topic: str | None = None) -> list[StoredPartition]:
        """Partition states of one topic, or of every topic, ordered by topic and partition."""
        prefix = (self._layout.partitions_prefix if topic is None
                  else self._layout.topic_partitions_prefix(topic))
        snapshot = await self._etcd.get_prefix(prefix)
        found: list[StoredPartition] = []
        for entry in snapshot.entries:
            kind, parts = self._layout.classify(entry.key)
            if kind != "partitions" or len(parts) != 2 or not parts[1].isdigit():
                continue
            try:
                state = PartitionState.from_json(entry.value)
            except (KanalError, TypeError) as exc:
                log.warning("ignoring malformed partition state %r: %s", entry.key, exc)
                continue
            found.append(StoredPartition(parts[0], int(parts[1]), state, entry.mod_revision))
        found.sort(key=lambda p: (p.topic, p.partition))
        return found

    async def partition(self, topic: str, partition: int) -> StoredPartition | None:
        """One partition's state, or None when absent or unreadable."""
        entry = await self._etcd.get(self._layout.partition(topic, partition))
        if entry is None:
            return None
        try:
            state = PartitionState.from_json(entry.value)
        except (KanalError, TypeError) as exc:
            log.warning("ignoring malformed partition state %r: %s", entry.key, exc)
            return None
        return StoredPartition(topic, partition, state, entry.mod_revision)

    async def brokers(self) -> list[BrokerRegistration]:
        """The registered (live) brokers, by id."""
        snapshot = await self._etcd.get_prefix(self._layout.brokers_prefix)
        found = [r for r in map(parse_registration, snapshot.entries) if r is not None]
        return sorted(found, key=lambda r: r.broker_id)

    async def controllers(self) -> list[tuple[ControllerLease, int]]:
        """Every registered controller with the create_revision of its registration."""
        snapshot = await self._etcd.get_prefix(self._layout.controllers_prefix)
        found: list[tuple[ControllerLease, int]] = []
        for entry in snapshot.entries:
            try:
                found.append((ControllerLease.from_json(entry.value), entry.create_revision))
            except (KanalError, TypeError) as exc:
                log.warning("ignoring malformed controller registration %r: %s", entry.key, exc)
        return found

    async def leader(self) -> tuple[ControllerLease, int] | None:
        """The active controller per etcd, with its epoch."""
        entry = await self._etcd.get(self._layout.controller_leader)
        if entry is None:
            return None
        return ControllerLease.from_json(entry.value), entry.create_revision
