"""Leadership on request or for balance: Kafka's ElectLeaders and auto leader rebalance.

Failovers leave leadership wherever it landed, so after a rolling restart one broker can
lead most partitions. Each partition's first replica is its *preferred* leader (placement
spreads first replicas evenly); moving leadership back to it restores the balance.

- `preferred`: the preferred replica takes over if it is live, not shutting down, and in the
  ISR (no data can be lost: it holds everything committed).
- `unclean`: only for a leaderless partition named explicitly, the first live replica takes
  over even outside the ISR and becomes the whole ISR; what only the lost ISR held is gone.
- The balancer checks every interval, per broker: of the partitions that prefer it, the share
  it does not lead; above the threshold, each of them that can move moves back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass, replace

from kanal.errors import (
    KanalError,
    NotController,
    ReplicaNotAvailable,
    UnknownTopicOrPartition,
)
from kanal.meta.documents import PartitionState
from kanal.meta.etcd import EtcdError, Put, unchanged_since
from kanal.meta.layout import Layout
from kanal.types import NO_LEADER

from kanal_controller.catalog import Catalog, StoredPartition
from kanal_controller.fenced_writes import FencedWriter

log = logging.getLogger(__name__)


def preferred_election(state: PartitionState, replicas: Sequence[int],
                       eligible: Set[int]) -> PartitionState | None:
    """The state with the preferred replica leading; None when it already leads or cannot
    (not eligible, or not in sync)."""
    preferred = replicas[0]
    if state.leader == preferred or preferred not in eligible or preferred not in state.isr:
        return None
    return replace(state, leader=preferred, leader_epoch=state.leader_epoch + 1,
                   partition_epoch=state.partition_epoch + 1)


def unclean_election(state: PartitionState, replicas: Sequence[int],
                     eligible: Set[int]) -> PartitionState | None:
    """A leaderless partition's state with the first eligible replica leading and alone in
    the ISR (an eligible in-sync replica is preferred); None when a live leader exists or no
    replica is eligible."""
    if state.leader in eligible:
        return None
    in_sync = [b for b in replicas if b in eligible and b in state.isr]
    leader = in_sync[0] if in_sync else next((b for b in replicas if b in eligible), NO_LEADER)
    if leader == NO_LEADER:
        return None
    isr = [b for b in state.isr if b in eligible] if in_sync else [leader]
    return replace(state, leader=leader, isr=isr, leader_epoch=state.leader_epoch + 1,
                   partition_epoch=state.partition_epoch + 1)


def imbalanced_brokers(partitions: Sequence[tuple[Sequence[int], PartitionState]],
                       threshold_percent: int) -> set[int]:
    """The brokers for which the share of the partitions preferring them that they do not
    lead is above `threshold_percent`."""
    preferring: dict[int, int] = {}
    not_led: dict[int, int] = {}
    for replicas, state in partitions:
        preferred = replicas[0]
        preferring[preferred] = preferring.get(preferred, 0) + 1
        if state.leader != preferred:
            not_led[preferred] = not_led.get(preferred, 0) + 1
    return {b for b, total in preferring.items()
            if not_led.get(b, 0) * 100 > threshold_percent * total}


@dataclass(frozen=True, slots=True)
class ElectionResult:
    topic: str
    partition: int
    leader: int
    elected: bool
    error: KanalError | None = None


@dataclass(frozen=True, slots=True)
class BalanceSettings:
    enabled: bool
    """Kafka's auto.leader.rebalance.enable."""
    imbalance_percent: int
    """Kafka's leader.imbalance.per.broker.percentage."""
    check_interval_s: float
    """Kafka's leader.imbalance.check.interval.seconds."""


class LeaderElections:
    def __init__(self, *, catalog: Catalog, layout: Layout, writer: FencedWriter,
                 lock: asyncio.Lock, eligible: Callable[[], Set[int]],
                 is_active: Callable[[], bool], settings: BalanceSettings,
                 on_election: Callable[[int], None]) -> None:
        self._catalog = catalog
        self._layout = layout
        self._writer = writer
        self._lock = lock
        self._eligible = eligible
        self._is_active = is_active
        self._settings = settings
        self._on_election = on_election

    async def elect(self, *, unclean: bool,
                    targets: Sequence[tuple[str, int]] | None) -> list[ElectionResult]:
        """Elect for `targets` (None: every partition). Raises NotController."""
        rule = unclean_election if unclean else preferred_election
        self._writer.fence()
        async with self._lock:
            eligible = self._eligible()
            found = await self._partitions()
            results = []
            for topic, partition in targets if targets is not None else sorted(found):
                current = found.get((topic, partition))
                if current is None:
                    results.append(ElectionResult(topic, partition, NO_LEADER, False,
                                                  UnknownTopicOrPartition(
                                                      f"unknown partition {topic}-{partition}")))
                    continue
                replicas, stored = current
                results.append(await self._apply(stored, rule(stored.state, replicas, eligible),
                                                 replicas, eligible, unclean))
            return results

    async def _apply(self, stored: StoredPartition, new: PartitionState | None,
                     replicas: Sequence[int], eligible: Set[int],
                     unclean: bool) -> ElectionResult:
        state = stored.state
        if new is None:
            leads = state.leader in eligible and (unclean or state.leader == replicas[0])
            error = None if leads else ReplicaNotAvailable(
                f"{stored.topic}-{stored.partition}: no eligible replica is live"
                + ("" if unclean else " and in sync"))
            return ElectionResult(stored.topic, stored.partition, state.leader, False, error)
        key = self._layout.partition(stored.topic, stored.partition)
        if not await self._writer.commit([Put(key, new.to_json())],
                                         guards=[unchanged_since(key, stored.mod_revision)]):
            return ElectionResult(stored.topic, stored.partition, state.leader, False,
                                  ReplicaNotAvailable("the partition changed; try again"))
        log.info("partition %s-%d: %s election, leader %d -> %d (epoch %d), isr %s",
                 stored.topic, stored.partition, "unclean" if unclean else "preferred",
                 state.leader, new.leader, new.leader_epoch, new.isr)
        self._on_election(1)
        return ElectionResult(stored.topic, stored.partition, new.leader, True)

    async def _partitions(self) -> dict[tuple[str, int], tuple[list[int], StoredPartition]]:
        topics = await self._catalog.topics()
        found = {}
        for stored in await self._catalog.partitions():
            topic = topics.get(stored.topic)
            if topic is not None and stored.partition < topic.spec.num_partitions:
                found[(stored.topic, stored.partition)] = (
                    topic.spec.assignment[stored.partition], stored)
        return found

    async def balance_once(self) -> int:
        """Move leadership back where a broker's imbalance is over the threshold; how many
        partitions moved."""
        found = await self._partitions()
        over = imbalanced_brokers([(r, s.state) for r, s in found.values()],
                                  self._settings.imbalance_percent)
        targets = sorted(k for k, (replicas, s) in found.items()
                         if replicas[0] in over and s.state.leader != replicas[0])
        if not targets:
            return 0
        results = await self.elect(unclean=False, targets=targets)
        return sum(1 for r in results if r.elected)

    async def run(self) -> None:
        """The auto-rebalance loop (returns at once when disabled)."""
        if not self._settings.enabled:
            return
        while True:
            await asyncio.sleep(self._settings.check_interval_s)
            if not self._is_active():
                continue
            try:
                moved = await self.balance_once()
            except NotController:
                continue
            except EtcdError as exc:
                log.warning("preferred leader check failed: %r", exc)
                continue
            if moved:
                log.info("leader rebalance moved %d partitions to their preferred replica",
                         moved)
