"""Planned moves: rebalancing across brokers, and draining a broker to decommission it.

Both compute a plan (`rebalance_plan.py`) from each partition's *target* replicas (so a plan
made during a move builds on it) and hand it to `Reassignments`. A drain is refused, with the
reason kept for `status`, when the brokers that would remain cannot hold some partition's
replication factor; nothing is moved then. The brokers asked to drain are remembered in this
controller's memory: a failover forgets them, and the caller (CLI, Kubernetes watcher) asks
again, which is harmless because a plan only moves what still sits on the broker.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Collection, Set
from dataclasses import dataclass

from kanal.errors import InvalidReplicationFactor

from kanal_controller import rebalance_plan
from kanal_controller.catalog import Catalog
from kanal_controller.reassignment_rules import target_replicas
from kanal_controller.reassignments import Reassignments, TopicPartitionKey

log = logging.getLogger(__name__)

Plan = dict[TopicPartitionKey, list[int]]


class DrainState(enum.IntEnum):
    """Values match DescribeBrokerDrainResponse.DrainState in controller.proto."""

    NOT_DRAINING = 0
    DRAINING = 1
    DRAINED = 2
    REFUSED = 3


@dataclass(frozen=True, slots=True)
class DrainStatus:
    state: DrainState
    replicas: int
    """Partitions whose replica list (target or not) still names the broker."""
    moving: int
    """Of those, the ones in the middle of a move."""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CurrentAssignment:
    targets: dict[TopicPartitionKey, list[int]]
    """Each partition's replicas once any move in progress completes."""
    holders: dict[TopicPartitionKey, list[int]]
    """Each partition's replicas now (targets plus replicas still being removed)."""
    moving: set[TopicPartitionKey]


class Drains:
    def __init__(self, *, catalog: Catalog, reassignments: Reassignments,
                 registered: Callable[[], Set[int]],
                 on_refused: Callable[[], None] = lambda: None) -> None:
        self._catalog = catalog
        self._on_refused = on_refused
        self._reassignments = reassignments
        self._registered = registered
        self._draining: dict[int, str] = {}
        """Brokers asked to drain -> the reason it was refused ("" when it was not)."""

    def draining(self) -> frozenset[int]:
        """Brokers being drained: new replicas should not be placed on them."""
        return frozenset(b for b, reason in self._draining.items() if not reason)

    async def assignment(self) -> CurrentAssignment:
        topics = await self._catalog.topics()
        current = CurrentAssignment({}, {}, set())
        for stored in await self._catalog.partitions():
            topic = topics.get(stored.topic)
            if topic is None or stored.partition >= topic.spec.num_partitions:
                continue
            key = (stored.topic, stored.partition)
            replicas = topic.spec.assignment[stored.partition]
            current.holders[key] = list(replicas)
            current.targets[key] = target_replicas(replicas, stored.state)
            if stored.state.reassigning:
                current.moving.add(key)
        return current

    async def rebalance(self, *, exclude: Set[int] = frozenset(), throttle: int,
                        validate_only: bool) -> Plan:
        """Spread every partition evenly over the registered brokers not excluded nor
        draining; the plan, started unless `validate_only`."""
        brokers = set(self._registered()) - set(exclude) - self.draining()
        plan = rebalance_plan.balanced((await self.assignment()).targets, brokers)
        if plan and not validate_only:
            await self._start(plan, throttle)
        return plan

    async def decommission(self, broker_ids: Collection[int], *, throttle: int,
                           validate_only: bool) -> Plan:
        """Move every replica off the brokers (together: none is moved onto another that is
        leaving); the plan (empty when they hold none)."""
        leaving = set(broker_ids)
        others = set(self._registered()) - self.draining() - leaving
        try:
            plan = rebalance_plan.drain((await self.assignment()).targets, leaving, others)
        except InvalidReplicationFactor as exc:
            if not validate_only:
                self._draining.update(dict.fromkeys(leaving, exc.message))
                self._on_refused()
                log.warning("brokers %s cannot be decommissioned: %s", sorted(leaving),
                            exc.message)
            raise
        if not validate_only:
            self._draining.update(dict.fromkeys(leaving, ""))
            if plan:
                log.info("decommissioning brokers %s: moving %d partitions", sorted(leaving),
                         len(plan))
                await self._start(plan, throttle)
        return plan

    def forget(self, broker_id: int) -> None:
        """Stop treating the broker as draining (it is to stay, e.g. a scale-down undone)."""
        self._draining.pop(broker_id, None)

    async def status(self, broker_id: int) -> DrainStatus:
        current = await self.assignment()
        holding = [tp for tp, replicas in current.holders.items() if broker_id in replicas]
        moving = sum(1 for tp in holding if tp in current.moving)
        reason = self._draining.get(broker_id)
        if reason:
            state = DrainState.REFUSED
        elif not holding:
            state = DrainState.DRAINED
        elif reason is not None or any(broker_id not in current.targets[tp] for tp in holding):
            state = DrainState.DRAINING
        else:
            state = DrainState.NOT_DRAINING
        return DrainStatus(state, len(holding), moving, reason or "")

    async def _start(self, plan: Plan, throttle: int) -> None:
        errors = await self._reassignments.alter(plan, throttle=throttle)
        refused = {tp: e for tp, e in errors.items() if e is not None}
        if refused:
            first = next(iter(refused.values()))
            assert first is not None
            log.warning("%d of %d planned moves were refused, e.g. %s", len(refused),
                        len(plan), first.message)
            raise first
