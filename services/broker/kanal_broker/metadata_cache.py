"""The broker's in-memory copy of the cluster metadata in etcd.

One list of the cluster prefix, then one watch from the next revision; when the watch breaks
the cache lists again and rebuilds. Readers (handlers, the replica manager) never touch etcd.
Changed topics are collected for the replica manager (`next_topic_changes`), so a burst of
writes (a topic with many partitions) costs one reconcile, not one per key.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from kanal.errors import KanalError
from kanal.meta.documents import BrokerRegistration, ControllerLease, PartitionState, TopicSpec
from kanal.meta.etcd import Entry, Etcd, EtcdError, Snapshot, WatchEvent
from kanal.meta.layout import Layout

log = logging.getLogger(__name__)

_RELIST_BACKOFF_S = (0.1, 0.2, 0.5, 1.0, 2.0)


@dataclass(frozen=True, slots=True)
class ActiveController:
    lease: ControllerLease
    # create_revision of controller/leader: grows with every election.
    epoch: int


@dataclass(frozen=True, slots=True)
class PartitionView:
    state: PartitionState
    # etcd revision of the write that produced `state`; see ReplicaManager.lease_lost.
    mod_revision: int


@dataclass(slots=True)
class _Tables:
    brokers: dict[int, BrokerRegistration]
    controller: ActiveController | None
    topics: dict[str, TopicSpec]
    partitions: dict[str, dict[int, PartitionView]]
    # config/brokers/<id|default>: topic config names -> broker-level default values.
    broker_configs: dict[str, dict[str, str]]


def _empty() -> _Tables:
    return _Tables({}, None, {}, {}, {})


def _parse_config(raw: bytes) -> dict[str, str]:
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("a broker config must be a JSON object")
    return {str(k): str(v) for k, v in data.items()}


class MetadataCache:
    def __init__(self, etcd: Etcd, layout: Layout) -> None:
        self._etcd = etcd
        self._layout = layout
        self._tables = _empty()
        self.revision = 0
        self.loaded = asyncio.Event()
        self._dirty_topics: set[str] = set()
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.on_broker_deleted: Callable[[int, int], None] = lambda _id, _rev: None
        """Called with (broker id, revision of the deletion) when a registration goes."""

    # ---- reading -------------------------------------------------------------------------

    @property
    def brokers(self) -> dict[int, BrokerRegistration]:
        return self._tables.brokers

    @property
    def controller(self) -> ActiveController | None:
        return self._tables.controller

    @property
    def topics(self) -> dict[str, TopicSpec]:
        return self._tables.topics

    def partition(self, topic: str, partition: int) -> PartitionView | None:
        return self._tables.partitions.get(topic, {}).get(partition)

    def config_defaults(self, broker_id: int) -> dict[str, str]:
        """Broker-level topic config defaults: `default` overlaid by this broker's own."""
        configs = self._tables.broker_configs
        return {**configs.get("default", {}), **configs.get(str(broker_id), {})}

    async def next_topic_changes(self) -> set[str]:
        """Wait until some topic's spec or partition state changed; the names changed since
        the last call."""
        await self._dirty.wait()
        self._dirty.clear()
        changed, self._dirty_topics = self._dirty_topics, set()
        return changed

    # ---- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """List once (retrying until etcd answers), then follow changes in the background."""
        await self._relist()
        self._task = asyncio.create_task(self._follow(), name="metadata-cache-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _follow(self) -> None:
        while True:
            try:
                async for event in self._etcd.watch(
                    self._layout.root, prefix=True, start_revision=self.revision + 1
                ):
                    self._apply(event)
                log.warning("etcd watch ended; listing again")
            except EtcdError as exc:
                log.warning("etcd watch failed (%s); listing again", exc)
            except Exception:
                # A bug while applying an event must not leave the cache frozen forever.
                log.exception("applying a metadata change failed; listing again")
                await asyncio.sleep(_RELIST_BACKOFF_S[-1])
            await self._relist()

    async def _relist(self) -> None:
        attempt = 0
        while True:
            try:
                snapshot = await self._etcd.get_prefix(self._layout.root)
                break
            except EtcdError as exc:
                delay = _RELIST_BACKOFF_S[min(attempt, len(_RELIST_BACKOFF_S) - 1)]
                log.warning("cannot list cluster metadata (%s); retrying in %ss", exc, delay)
                attempt += 1
                await asyncio.sleep(delay)
        self._rebuild(snapshot)

    # ---- applying changes ----------------------------------------------------------------

    def _rebuild(self, snapshot: Snapshot) -> None:
        old = self._tables
        self._tables = _empty()
        for entry in snapshot.entries:
            self._put(entry)
        self.revision = snapshot.revision
        self._mark_dirty(set(old.topics) | set(old.partitions)
                         | set(self._tables.topics) | set(self._tables.partitions))
        for broker_id in set(old.brokers) - set(self._tables.brokers):
            self.on_broker_deleted(broker_id, snapshot.revision)
        self.loaded.set()

    def _apply(self, event: WatchEvent) -> None:
        self.revision = max(self.revision, event.entry.mod_revision)
        if event.deleted:
            self._delete(event.entry)
        else:
            self._put(event.entry)

    def _put(self, entry: Entry) -> None:
        kind, parts = self._layout.classify(entry.key)
        try:
            if kind == "brokers" and len(parts) == 1:
                registration = BrokerRegistration.from_json(entry.value)
                self._tables.brokers[registration.broker_id] = registration
            elif kind == "controller" and parts == ("leader",):
                lease = ControllerLease.from_json(entry.value)
                self._tables.controller = ActiveController(lease, entry.create_revision)
            elif kind == "topics" and len(parts) == 1:
                self._tables.topics[parts[0]] = TopicSpec.from_json(entry.value)
                self._mark_dirty({parts[0]})
            elif kind == "partitions" and len(parts) == 2:
                view = PartitionView(PartitionState.from_json(entry.value), entry.mod_revision)
                self._tables.partitions.setdefault(parts[0], {})[int(parts[1])] = view
                self._mark_dirty({parts[0]})
            elif kind == "config" and len(parts) == 2 and parts[0] == "brokers":
                self._tables.broker_configs[parts[1]] = _parse_config(entry.value)
                self._mark_dirty(set(self._tables.topics))  # every topic's defaults
        except (KanalError, TypeError, ValueError, AttributeError) as exc:
            # A document this version cannot read (from_json meets JSON that is not an
            # object as AttributeError): treat the key as absent rather than stop following.
            log.error("ignoring unreadable metadata at %r: %s", entry.key, exc)

    def _delete(self, entry: Entry) -> None:
        kind, parts = self._layout.classify(entry.key)
        if kind == "brokers" and len(parts) == 1 and parts[0].isdigit():
            broker_id = int(parts[0])
            if self._tables.brokers.pop(broker_id, None) is not None:
                self.on_broker_deleted(broker_id, entry.mod_revision)
        elif kind == "controller" and parts == ("leader",):
            self._tables.controller = None
        elif kind == "topics" and len(parts) == 1:
            self._tables.topics.pop(parts[0], None)
            self._mark_dirty({parts[0]})
        elif kind == "partitions" and len(parts) == 2 and parts[1].isdigit():
            states = self._tables.partitions.get(parts[0], {})
            states.pop(int(parts[1]), None)
            if not states:
                self._tables.partitions.pop(parts[0], None)
            self._mark_dirty({parts[0]})
        elif kind == "config" and len(parts) == 2 and parts[0] == "brokers":
            self._tables.broker_configs.pop(parts[1], None)
            self._mark_dirty(set(self._tables.topics))

    def _mark_dirty(self, topics: set[str]) -> None:
        if topics:
            self._dirty_topics |= topics
            self._dirty.set()
