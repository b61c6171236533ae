"""Partition leadership as brokers come and go.

`elect` is the rule for one partition (pure); `LeadershipReconciler` applies it to every
partition whenever the live set or the controller's activity changes. Reconciling the whole
state, rather than reacting to single events, also repairs what happened while no controller
was active, and coalesces bursts of broker changes into one pass.

The rule, Kafka's (unclean election only where a topic enables it):
- a departed broker leaves every ISR it is in, unless it is the last member: the ISR never
  becomes empty, so the last in-sync replica is remembered and only it can lead again;
- a partition whose leader departed gets the first replica (preferred order) that is live and
  in the ISR; with none, it goes offline (leader -1);
- an offline partition whose ISR holds a live broker gets it as leader (so a returning last
  ISR member restores the partition);
- where the topic sets unclean.leader.election.enable=true, a partition with no live in-sync
  replica goes to its first live replica, which becomes the whole ISR (availability over
  the writes only the lost ISR held);
- a leader change bumps leader_epoch; every change bumps partition_epoch.

A broker in controlled shutdown counts as departed, with one exception: a partition it leads
with no other live in-sync replica keeps it as leader (going offline before the broker has
even stopped would only shorten the partition's life).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, replace

from kanal.errors import NotController
from kanal.meta.documents import PartitionState
from kanal.meta.etcd import EtcdError, Put, unchanged_since
from kanal.meta.layout import Layout
from kanal.types import NO_LEADER

from kanal_controller.catalog import Catalog, StoredPartition
from kanal_controller.fenced_writes import FENCE_COMPARES, FencedWriter

log = logging.getLogger(__name__)

_RETRY_DELAY_S = 0.5
UNCLEAN_ELECTION = "unclean.leader.election.enable"


@dataclass(slots=True)
class PartitionSummary:
    """Counts for the controller's gauges, as of the last reconcile pass."""

    topics: int = 0
    partitions: int = 0
    offline: int = 0

    def count(self, online: bool) -> None:
        self.partitions += 1
        self.offline += 0 if online else 1


def elect(state: PartitionState, replicas: Sequence[int], live: Set[int], *,
          unclean: bool = False) -> PartitionState | None:
    """The partition's next state for this live set, or None when nothing changes. With
    `unclean` (the topic's unclean.leader.election.enable), a partition with no live in-sync
    replica goes to its first live replica, which becomes the whole ISR: whatever only the
    lost ISR held is gone, the price of availability."""
    live_isr = [b for b in state.isr if b in live]
    if live_isr:
        isr = live_isr
    elif state.leader in state.isr:
        isr = [state.leader]
    else:
        isr = list(state.isr)  # nobody in sync is live: keep the ISR as the record of who was
    if state.leader in live and state.leader in isr:
        leader = state.leader
    else:
        preference = [*replicas, *(b for b in isr if b not in replicas)]
        leader = next((b for b in preference if b in live and b in isr), NO_LEADER)
        if leader == NO_LEADER and unclean:
            leader = first_live(replicas, live)
            isr = [leader] if leader != NO_LEADER else isr
    if leader == state.leader and isr == state.isr:
        return None
    return replace(
        state,
        leader=leader,
        isr=isr,
        leader_epoch=state.leader_epoch + (1 if leader != state.leader else 0),
        partition_epoch=state.partition_epoch + 1,
    )


def elect_around_shutdown(state: PartitionState, replicas: Sequence[int], live: Set[int],
                          shutting_down: Set[int], *,
                          unclean: bool = False) -> PartitionState | None:
    """`elect` with the brokers in controlled shutdown treated as departed, except that a
    live leader with no successor keeps its partition (then the plain rule applies)."""
    if not shutting_down:
        return elect(state, replicas, live, unclean=unclean)
    others = live - shutting_down
    clean = elect(state, replicas, others)
    if clean is not None and clean.leader != NO_LEADER:
        return clean
    if state.leader in live and state.leader in state.isr:
        # Never unclean here: the stopping leader still holds everything committed.
        return elect(state, replicas, live)
    return elect(state, replicas, others, unclean=unclean)


def unclean_allowed(configs: Mapping[str, str]) -> bool:
    return configs.get(UNCLEAN_ELECTION, "false").strip().lower() == "true"


def first_live(replicas: Sequence[int], live: Set[int]) -> int:
    """The leader of a new partition: its first live replica, or -1."""
    return next((b for b in replicas if b in live), NO_LEADER)


class LeadershipReconciler:
    def __init__(self, *, catalog: Catalog, layout: Layout, writer: FencedWriter,
                 live_brokers: Callable[[], Set[int]], is_active: Callable[[], bool],
                 lock: asyncio.Lock, max_txn_ops: int,
                 on_election: Callable[[int], None],
                 on_summary: Callable[[PartitionSummary], None],
                 shutting_down: Callable[[], Set[int]] = frozenset) -> None:
        self._catalog = catalog
        self._layout = layout
        self._writer = writer
        self._live_brokers = live_brokers
        self._is_active = is_active
        self._lock = lock
        self._batch = max(1, max_txn_ops - FENCE_COMPARES)
        self._on_election = on_election
        self._on_summary = on_summary
        self._shutting_down = shutting_down
        self._dirty = asyncio.Event()

    def kick(self) -> None:
        """Something changed (brokers, activity): reconcile soon."""
        self._dirty.set()

    async def run(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            if not self._is_active():
                continue
            try:
                complete = await self.reconcile()
            except NotController:
                continue  # deposed: the election notices too and reports the change
            except EtcdError as exc:
                log.warning("reconciling partition leaders failed: %r", exc)
                complete = False
            except Exception:
                log.exception("reconciling partition leaders failed")
                complete = False
            if not complete:
                await asyncio.sleep(_RETRY_DELAY_S)
                self.kick()

    async def reconcile(self) -> bool:
        """One pass over every partition; False when a write lost a race (retry later).
        Raises NotController when this controller was deposed."""
        async with self._lock:
            live = self._live_brokers()
            shutting_down = self._shutting_down()
            topics = await self._catalog.topics()
            changes: list[tuple[StoredPartition, PartitionState]] = []
            summary = PartitionSummary(topics=len(topics))
            for stored in await self._catalog.partitions():
                topic = topics.get(stored.topic)
                if topic is None or stored.partition >= topic.spec.num_partitions:
                    continue
                replicas = topic.spec.assignment[stored.partition]
                new_state = elect_around_shutdown(
                    stored.state, replicas, live, shutting_down,
                    unclean=unclean_allowed(topic.spec.configs))
                if new_state is not None:
                    changes.append((stored, new_state))
                summary.count((new_state or stored.state).online)
            self._on_summary(summary)
            complete = True
            for start in range(0, len(changes), self._batch):
                complete &= await self._write(changes[start:start + self._batch])
            return complete

    async def _write(self, changes: list[tuple[StoredPartition, PartitionState]]) -> bool:
        ops = [Put(self._layout.partition(s.topic, s.partition), new.to_json())
               for s, new in changes]
        guards = [unchanged_since(self._layout.partition(s.topic, s.partition), s.mod_revision)
                  for s, _ in changes]
        if not await self._writer.commit(ops, guards=guards):
            return False
        for stored, new in changes:
            log.info("partition %s-%d: leader %d -> %d (epoch %d), isr %s",
                     stored.topic, stored.partition, stored.state.leader, new.leader,
                     new.leader_epoch, new.isr)
            if new.leader not in (stored.state.leader, NO_LEADER):
                self._on_election(1)
        return True
