"""Partition reassignments against etcd: starting, cancelling, listing and completing them.

The rules per partition are in `reassignment_rules.py`. Here: a change to a partition's
replicas writes its topic document (the assignment) and its partition state in one fenced
transaction, guarded by both mod revisions, under the controller's mutation lock. The
completion loop re-reads every partition state; one in the middle of a move completes as soon
as its adding replicas are all in the ISR. It runs on the active controller only, and since
the whole reassignment lives in etcd, a new active controller simply carries on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, replace

from kanal.errors import (
    InvalidReplicaAssignment,
    KanalError,
    NotController,
    RequestTimedOut,
    UnknownTopicOrPartition,
)
from kanal.meta.documents import PartitionState, TopicSpec
from kanal.meta.etcd import EtcdError, Put, unchanged_since
from kanal.meta.layout import Layout

from kanal_controller import reassignment_rules as rules
from kanal_controller.catalog import Catalog, StoredPartition, StoredTopic
from kanal_controller.fenced_writes import FENCE_COMPARES, FencedWriter

log = logging.getLogger(__name__)

_ATTEMPTS = 3
TopicPartitionKey = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Ongoing:
    """A partition in the middle of a move, as ListPartitionReassignments shows it."""

    topic: str
    partition: int
    replicas: list[int]
    state: PartitionState


@dataclass(frozen=True, slots=True)
class LoopSettings:
    busy_interval_s: float = 0.5
    """How often partitions are checked while some are moving."""
    idle_interval_s: float = 5.0
    """How often etcd is checked for moves while none is known (e.g. after a failover)."""


class Reassignments:
    def __init__(self, *, catalog: Catalog, layout: Layout, writer: FencedWriter,
                 lock: asyncio.Lock, registered: Callable[[], Set[int]],
                 eligible: Callable[[], Set[int]], is_active: Callable[[], bool],
                 max_txn_ops: int, on_progress: Callable[[int], None],
                 settings: LoopSettings = LoopSettings()) -> None:
        self._catalog = catalog
        self._layout = layout
        self._writer = writer
        self._lock = lock
        self._registered = registered
        self._eligible = eligible
        self._is_active = is_active
        self._room = max(1, max_txn_ops - FENCE_COMPARES - 1)  # minus the topic's own put
        self._on_progress = on_progress
        self._settings = settings
        self._kicked = asyncio.Event()
        self.moving = 0
        """Partitions in the middle of a move at the last check."""

    def kick(self) -> None:
        self._kicked.set()

    # ---- requests --------------------------------------------------------------------------

    async def alter(self, targets: Mapping[TopicPartitionKey, Sequence[int] | None], *,
                    throttle: int, validate_only: bool = False,
                    ) -> dict[TopicPartitionKey, KanalError | None]:
        """Start (a target list) or cancel (None) each partition's move; the error of each
        partition that was refused, None for the others."""
        self._writer.fence()
        results: dict[TopicPartitionKey, KanalError | None] = {}
        by_topic: dict[str, dict[int, Sequence[int] | None]] = {}
        for (topic, partition), target in targets.items():
            by_topic.setdefault(topic, {})[partition] = target
        async with self._lock:
            for topic, wanted in sorted(by_topic.items()):
                try:
                    errors = await self._alter_topic(topic, wanted, throttle, validate_only)
                except NotController:
                    raise
                except KanalError as exc:
                    errors = {p: exc for p in wanted}
                except EtcdError as exc:
                    errors = {p: RequestTimedOut(f"etcd did not answer: {exc}") for p in wanted}
                results.update({(topic, p): errors.get(p) for p in wanted})
        self.kick()
        return results

    async def _alter_topic(self, topic: str, wanted: Mapping[int, Sequence[int] | None],
                           throttle: int, validate_only: bool) -> dict[int, KanalError]:
        for _ in range(_ATTEMPTS):
            stored = await self._catalog.topic(topic)
            if stored is None:
                raise UnknownTopicOrPartition(f"topic {topic!r} does not exist")
            states = {p.partition: p for p in await self._catalog.partitions(topic)}
            errors: dict[int, KanalError] = {}
            steps: dict[int, rules.Step] = {}
            for partition, target in sorted(wanted.items()):
                try:
                    step = self._step(stored.spec, states.get(partition), partition, target,
                                      throttle)
                except KanalError as exc:
                    errors[partition] = exc
                    continue
                if step is not None:
                    steps[partition] = step
            if validate_only or not steps:
                return errors
            if await self._write(stored, states, steps):
                for partition, step in steps.items():
                    log.info("%s-%d: reassigning to %s (adding %s, removing %s, throttle %d"
                             " B/s)", topic, partition, step.replicas,
                             step.state.adding_replicas, step.state.removing_replicas,
                             step.state.reassignment_throttle)
                return errors
        raise RequestTimedOut(f"topic {topic!r} kept changing under the reassignment; retry")

    def _step(self, spec: TopicSpec, stored: StoredPartition | None, partition: int,
              target: Sequence[int] | None, throttle: int) -> rules.Step | None:
        where = f"{spec.name}-{partition}"
        if stored is None or not 0 <= partition < spec.num_partitions:
            raise UnknownTopicOrPartition(f"unknown topic or partition {where}")
        replicas = spec.assignment[partition]
        if target is None:
            if not stored.state.reassigning:
                raise InvalidReplicaAssignment(f"{where} has no reassignment to cancel")
            step = rules.cancel(replicas, stored.state, self._eligible())
            if step is None:
                raise InvalidReplicaAssignment(
                    f"{where}: no original replica is in sync to lead; cannot cancel")
            return step
        rules.check_target(target, self._registered(), where)
        if list(target) == list(replicas) and not stored.state.reassigning:
            return None  # already there
        return rules.start(replicas, stored.state, target, throttle=throttle)

    async def _write(self, stored: StoredTopic, states: Mapping[int, StoredPartition],
                     steps: Mapping[int, rules.Step]) -> bool:
        """All of one topic's steps; several transactions (each re-guarding the topic) when
        they do not fit one. False when something changed since the read."""
        assignment = [list(r) for r in stored.spec.assignment]
        guard_revision = stored.mod_revision
        partitions = sorted(steps)
        topic_key = self._layout.topic(stored.spec.name)
        for start in range(0, len(partitions), self._room):
            chunk = partitions[start:start + self._room]
            for partition in chunk:
                assignment[partition] = steps[partition].replicas
            spec = replace(stored.spec, assignment=[list(r) for r in assignment])
            ops = [Put(topic_key, spec.to_json()), *(
                Put(self._layout.partition(stored.spec.name, p), steps[p].state.to_json())
                for p in chunk)]
            guards = [unchanged_since(topic_key, guard_revision), *(
                unchanged_since(self._layout.partition(stored.spec.name, p),
                                states[p].mod_revision) for p in chunk)]
            if not await self._writer.commit(ops, guards=guards):
                return False
            fresh = await self._catalog.topic(stored.spec.name)
            if fresh is None:
                return False
            guard_revision = fresh.mod_revision
        return True

    async def ongoing(self, topics: Sequence[str] = ()) -> list[Ongoing]:
        """Every partition in the middle of a move (of `topics`, or of every topic)."""
        stored_topics = await self._catalog.topics()
        found: list[Ongoing] = []
        for stored in await self._catalog.partitions():
            topic = stored_topics.get(stored.topic)
            if (topic is None or stored.partition >= topic.spec.num_partitions
                    or not stored.state.reassigning or (topics and stored.topic not in topics)):
                continue
            found.append(Ongoing(stored.topic, stored.partition,
                                 list(topic.spec.assignment[stored.partition]), stored.state))
        return found

    # ---- completing moves ------------------------------------------------------------------

    async def run(self) -> None:
        while True:
            interval = (self._settings.busy_interval_s if self.moving
                        else self._settings.idle_interval_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kicked.wait(), interval)
            self._kicked.clear()
            if not self._is_active():
                self._set_moving(0)
                continue
            try:
                await self.complete_ready()
            except NotController:
                continue
            except EtcdError as exc:
                log.warning("checking partition reassignments failed: %r", exc)
            except Exception:
                log.exception("checking partition reassignments failed")

    async def complete_ready(self) -> None:
        """Finish every move whose adding replicas are all in sync."""
        async with self._lock:
            moving = await self.ongoing()
            eligible = self._eligible()
            done = 0
            for item in moving:
                step = rules.complete(item.replicas, item.state, eligible)
                if step is not None and await self._finish(item, step):
                    done += 1
            self._set_moving(len(moving) - done)

    async def _finish(self, item: Ongoing, step: rules.Step) -> bool:
        stored = await self._catalog.topic(item.topic)
        partition = await self._catalog.partition(item.topic, item.partition)
        if stored is None or partition is None or partition.state != item.state:
            return False  # changed since the scan; the next pass sees the new state
        if not await self._write(stored, {item.partition: partition}, {item.partition: step}):
            return False
        log.info("%s-%d: reassignment complete: replicas %s, leader %d (epoch %d), isr %s",
                 item.topic, item.partition, step.replicas, step.state.leader,
                 step.state.leader_epoch, step.state.isr)
        return True

    def _set_moving(self, count: int) -> None:
        self.moving = count
        self._on_progress(count)
