"""Creating, deleting and describing topics.

A topic is its `topics/<name>` TopicSpec plus one `partitions/<name>/<p>` PartitionState per
partition, written together in one fenced transaction guarded by "the topic key is absent".
Topics larger than etcd's transaction limit are written in fenced chunks, partitions first and
the topic key last: the topic key is the commit point, and readers ignore partition keys
without a topic.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from kanal.errors import (
    InvalidPartitions,
    InvalidReplicationFactor,
    InvalidRequest,
    InvalidTopic,
    RequestTimedOut,
    TopicAlreadyExists,
    UnknownTopicOrPartition,
)
from kanal.meta.documents import BrokerRegistration, PartitionState, TopicSpec
from kanal.meta.etcd import Delete, Op, Put, key_absent, unchanged_since
from kanal.meta.layout import Layout
from kanal.topic_config import (
    INTERNAL_TOPICS,
    collides,
    validate_topic_configs,
    validate_topic_name,
)
from kanal.types import BrokerId

from kanal_controller.catalog import Catalog, StoredTopic
from kanal_controller.fenced_writes import FENCE_COMPARES, FencedWriter
from kanal_controller.leadership import first_live
from kanal_controller.placement import (
    BrokerSlot,
    assign_replicas,
    leader_counts,
    validate_assignment,
)

_WRITE_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class NewTopicRequest:
    name: str
    num_partitions: int = 0
    """0: the cluster default."""
    replication_factor: int = 0
    """0: the cluster default."""
    configs: Mapping[str, str] | None = None
    replica_assignment: Sequence[Sequence[int]] = ()


@dataclass(frozen=True, slots=True)
class TopicDefaults:
    partitions: int
    replication_factor: int
    max_partitions: int


@dataclass(frozen=True, slots=True)
class TopicView:
    spec: TopicSpec
    partitions: dict[int, PartitionState]


def is_internal(name: str) -> bool:
    return name in INTERNAL_TOPICS or name.startswith("__")


class Topics:
    def __init__(self, *, catalog: Catalog, layout: Layout, writer: FencedWriter,
                 live_brokers: Callable[[], Mapping[BrokerId, BrokerRegistration]],
                 lock: asyncio.Lock, defaults: TopicDefaults, max_txn_ops: int,
                 on_change: Callable[[], None]) -> None:
        self._catalog = catalog
        self._layout = layout
        self._writer = writer
        self._live_brokers = live_brokers
        self._lock = lock
        self._defaults = defaults
        self._max_txn_ops = max_txn_ops
        self._on_change = on_change

    async def create(self, request: NewTopicRequest, *, validate_only: bool) -> TopicSpec:
        """The created topic (or the one that would be, with validate_only); raises the
        KanalError that says why not, having written nothing."""
        self._writer.fence()
        validate_topic_name(request.name)
        configs = validate_topic_configs(request.configs or {})
        async with self._lock:
            existing = await self._catalog.topics()
            if request.name in existing:
                raise TopicAlreadyExists(f"topic {request.name!r} already exists")
            clash = next((t for t in existing if collides(request.name, t)), None)
            if clash is not None:
                raise InvalidTopic(
                    f"topic {request.name!r} collides with {clash!r} ('.' and '_' are the same"
                    " in metric names)"
                )
            spec = TopicSpec(
                name=request.name,
                topic_id=str(uuid.uuid4()),
                assignment=[list(r) for r in await self._place(request)],
                configs=configs,
                internal=is_internal(request.name),
            )
            if validate_only:
                return spec
            await self._write_new(spec)
        self._on_change()
        return spec

    async def _place(self, request: NewTopicRequest) -> list[list[BrokerId]]:
        live = self._live_brokers()
        if request.replica_assignment:
            if request.num_partitions or request.replication_factor:
                raise InvalidRequest(
                    "with a replica assignment, num_partitions and replication_factor must be 0"
                )
            if len(request.replica_assignment) > self._defaults.max_partitions:
                raise InvalidPartitions(
                    f"at most {self._defaults.max_partitions} partitions per topic"
                )
            return validate_assignment(request.replica_assignment, live.keys())
        partitions = request.num_partitions or self._defaults.partitions
        if not 1 <= partitions <= self._defaults.max_partitions:
            raise InvalidPartitions(
                f"num_partitions {partitions}: must be between 1 and"
                f" {self._defaults.max_partitions}"
            )
        replication_factor = request.replication_factor or self._defaults.replication_factor
        if replication_factor < 1:
            raise InvalidReplicationFactor(
                f"replication factor {replication_factor}: must be at least 1"
            )
        leaders = leader_counts([p.state.leader for p in await self._catalog.partitions()])
        return assign_replicas(
            [BrokerSlot(b, r.rack) for b, r in live.items()],
            num_partitions=partitions,
            replication_factor=replication_factor,
            leader_load=leaders,
        )

    async def _write_new(self, spec: TopicSpec) -> None:
        live = self._live_brokers().keys()
        topic_key = self._layout.topic(spec.name)
        puts: list[Op] = [
            Put(self._layout.partition(spec.name, p), PartitionState(
                leader=first_live(replicas, live), leader_epoch=0, isr=list(replicas),
            ).to_json())
            for p, replicas in enumerate(spec.assignment)
        ]
        room = self._max_txn_ops - FENCE_COMPARES
        transactions: list[list[Op]] = []
        if await self._catalog.partitions(spec.name):
            # Left by a chunked create that died before its commit point.
            transactions.append(
                [Delete(self._layout.topic_partitions_prefix(spec.name), prefix=True)])
        if len(puts) < room:
            transactions.append([*puts, Put(topic_key, spec.to_json())])
        else:
            transactions.extend(puts[i:i + room] for i in range(0, len(puts), room))
            transactions.append([Put(topic_key, spec.to_json())])
        fence = self._writer.fence()
        for ops in transactions:
            if not await self._writer.commit(ops, guards=[key_absent(topic_key)], fence=fence):
                raise TopicAlreadyExists(f"topic {spec.name!r} already exists")

    async def delete(self, name: str) -> None:
        self._writer.fence()
        validate_topic_name(name)
        async with self._lock:
            for _ in range(_WRITE_ATTEMPTS):
                stored = await self._catalog.topic(name)
                if stored is None:
                    raise UnknownTopicOrPartition(f"topic {name!r} does not exist")
                ops: list[Op] = [
                    Delete(self._layout.topic(name)),
                    Delete(self._layout.topic_partitions_prefix(name), prefix=True),
                ]
                guard = unchanged_since(self._layout.topic(name), stored.mod_revision)
                if await self._writer.commit(ops, guards=[guard]):
                    break
            else:
                raise RequestTimedOut(f"topic {name!r} kept changing under the delete; retry")
        self._on_change()

    async def describe(self, names: Sequence[str], include_internal: bool,
                       ) -> list[tuple[str, TopicView | UnknownTopicOrPartition]]:
        """Every requested topic in request order (unknown ones as errors); with no names,
        every topic by name, internal ones only when asked."""
        if not names:
            stored = await self._catalog.topics()
            chosen = [s for _, s in sorted(stored.items())
                      if include_internal or not s.spec.internal]
            states = await self._catalog.partitions()
            by_topic: dict[str, dict[int, PartitionState]] = {}
            for p in states:
                by_topic.setdefault(p.topic, {})[p.partition] = p.state
            return [(s.spec.name, TopicView(s.spec, by_topic.get(s.spec.name, {})))
                    for s in chosen]
        return [(name, await self._describe_one(name)) for name in names]

    async def _describe_one(self, name: str) -> TopicView | UnknownTopicOrPartition:
        stored: StoredTopic | None = await self._catalog.topic(name) if name else None
        if stored is None:
            return UnknownTopicOrPartition(f"topic {name!r} does not exist")
        states = await self._catalog.partitions(name)
        return TopicView(stored.spec, {p.partition: p.state for p in states})
