"""AlterPartition: a partition leader asks to change its ISR (Kafka's KIP-497).

The leader decides *when* (a follower fell behind for replica.lag.time.max.ms, or caught up
to the high watermark); the controller decides *whether*, against etcd, under the same
mutation lock and fence as every other metadata write:

- the asker must be the partition's leader, in the leader epoch it names;
- the request must be based on the current partition_epoch (a stale request, e.g. one sent
  before the controller removed a dead broker, would otherwise undo that change);
- the new ISR keeps the leader, names only replicas, and adds only live brokers.

This is the only way an ISR grows: leader elections (`leadership.py`) only ever shrink it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from kanal.errors import (
    FencedLeaderEpoch,
    InvalidRequest,
    NotLeaderForPartition,
    ReplicaNotAvailable,
    UnknownLeaderEpoch,
    UnknownTopicOrPartition,
)
from kanal.meta.documents import BrokerRegistration, PartitionState, TopicSpec
from kanal.meta.etcd import Put, unchanged_since
from kanal.meta.layout import Layout
from kanal.types import BrokerId

from kanal_controller.catalog import Catalog
from kanal_controller.fenced_writes import FencedWriter

log = logging.getLogger(__name__)

# A guard can fail only when the partition changed between our read and our write (the
# lock serialises this controller's own writes): re-read and judge again, a few times.
_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class IsrChange:
    topic: str
    partition: int
    leader: int
    leader_epoch: int
    partition_epoch: int
    new_isr: tuple[int, ...]


def judge(change: IsrChange, spec: TopicSpec | None, state: PartitionState | None,
          live: Mapping[BrokerId, BrokerRegistration]) -> PartitionState:
    """The partition's next state if `change` is acceptable against `state`; raises the
    error the leader should see otherwise. Pure: the rules in one place."""
    if spec is None or state is None or not 0 <= change.partition < spec.num_partitions:
        raise UnknownTopicOrPartition(
            f"unknown topic or partition {change.topic}-{change.partition}")
    where = f"{change.topic}-{change.partition}"
    if change.leader_epoch < state.leader_epoch:
        raise FencedLeaderEpoch(
            f"{where}: leader epoch {change.leader_epoch} is older than {state.leader_epoch}")
    if change.leader_epoch > state.leader_epoch:
        raise UnknownLeaderEpoch(
            f"{where}: leader epoch {change.leader_epoch} is newer than {state.leader_epoch}")
    if state.leader != change.leader:
        raise NotLeaderForPartition(
            f"{where}: broker {change.leader} does not lead (leader is {state.leader})")
    if change.partition_epoch != state.partition_epoch:
        # Kafka answers INVALID_UPDATE_VERSION; FENCED_LEADER_EPOCH carries the same advice
        # to the leader: your view of the partition is stale, refresh it before retrying.
        raise FencedLeaderEpoch(
            f"{where}: partition epoch {change.partition_epoch} is not the current "
            f"{state.partition_epoch}")
    replicas = spec.assignment[change.partition]
    isr = list(change.new_isr)
    if change.leader not in isr or len(set(isr)) != len(isr) or not set(isr) <= set(replicas):
        raise InvalidRequest(
            f"{where}: ISR {isr} must hold the leader {change.leader}, once each, and only "
            f"replicas {replicas}")
    added = [b for b in isr if b not in state.isr and BrokerId(b) not in live]
    if added:
        raise ReplicaNotAvailable(f"{where}: brokers {added} are not live; not added to ISR")
    if sorted(isr) == sorted(state.isr):
        return state  # nothing to write: answer with the current state
    return replace(state, isr=isr, partition_epoch=state.partition_epoch + 1)


class IsrChanges:
    def __init__(self, *, catalog: Catalog, layout: Layout, writer: FencedWriter,
                 live_brokers: Callable[[], Mapping[BrokerId, BrokerRegistration]],
                 lock: asyncio.Lock) -> None:
        self._catalog = catalog
        self._layout = layout
        self._writer = writer
        self._live_brokers = live_brokers
        self._lock = lock

    async def alter(self, change: IsrChange) -> PartitionState:
        """Apply one change; the resulting state, or the error for this partition."""
        self._writer.fence()  # NotController before any read when not active
        async with self._lock:
            for _ in range(_ATTEMPTS):
                stored_topic = await self._catalog.topic(change.topic)
                stored = await self._catalog.partition(change.topic, change.partition)
                state = stored.state if stored else None
                new_state = judge(change, stored_topic.spec if stored_topic else None, state,
                                  self._live_brokers())
                if stored is None or new_state is state:
                    return new_state
                key = self._layout.partition(change.topic, change.partition)
                if await self._writer.commit(
                        [Put(key, new_state.to_json())],
                        guards=[unchanged_since(key, stored.mod_revision)]):
                    log.info("partition %s-%d: isr %s -> %s (partition epoch %d)",
                             change.topic, change.partition, stored.state.isr,
                             new_state.isr, new_state.partition_epoch)
                    return new_state
        raise FencedLeaderEpoch(
            f"{change.topic}-{change.partition} kept changing; retry with fresh metadata")

