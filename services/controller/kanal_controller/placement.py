"""Replica placement: which brokers hold each partition of a new topic. Pure functions.

Goals, in order:
1. each partition's replicas are `replication_factor` distinct brokers;
2. when every broker has a rack, each partition's replicas sit on distinct racks while racks
   remain (Kafka's rack-aware assignment);
3. leaders (first replicas) spread evenly: each next leader is a broker with the fewest
   leaders so far, counting the leaders it already holds in other topics, so a fresh cluster's
   leader counts differ by at most one and later topics fill the least-loaded brokers first;
4. followers spread evenly too (fewest replicas first), starting after the leader in broker
   order so that the follower sets of consecutive partitions differ, as in Kafka's shifted
   round robin.
Kafka's own algorithm varies a random start index instead of counting loads; counting gives
the same spread across topics, deterministically.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from kanal.errors import InvalidReplicaAssignment, InvalidReplicationFactor
from kanal.types import BrokerId


@dataclass(frozen=True, slots=True)
class BrokerSlot:
    """A broker as placement sees it."""

    broker_id: BrokerId
    rack: str = ""


def assign_replicas(
    brokers: Collection[BrokerSlot],
    *,
    num_partitions: int,
    replication_factor: int,
    leader_load: Mapping[BrokerId, int] | None = None,
    replica_load: Mapping[BrokerId, int] | None = None,
) -> list[list[BrokerId]]:
    """assignment[p] = partition p's replicas, preferred leader first."""
    if not 1 <= replication_factor <= len(brokers):
        raise InvalidReplicationFactor(
            f"replication factor {replication_factor} needs that many live brokers;"
            f" {len(brokers)} are live"
        )
    order = _rack_alternating(brokers)
    position = {slot.broker_id: i for i, slot in enumerate(order)}
    rack_of = {slot.broker_id: slot.rack for slot in order}
    rack_aware = all(slot.rack for slot in order)
    leaders: Counter[BrokerId] = Counter(leader_load or {})
    replicas: Counter[BrokerId] = Counter(replica_load or {})

    assignment: list[list[BrokerId]] = []
    for _ in range(num_partitions):
        leader = min(position, key=lambda b: (leaders[b], replicas[b], position[b]))
        chosen = [leader]
        while len(chosen) < replication_factor:
            used_racks = {rack_of[b] for b in chosen}
            candidates = [b for b in position if b not in chosen]
            if rack_aware:
                fresh_rack = [b for b in candidates if rack_of[b] not in used_racks]
                candidates = fresh_rack or candidates
            chosen.append(min(candidates, key=lambda b: (
                replicas[b], (position[b] - position[leader]) % len(order))))
        leaders[leader] += 1
        for broker in chosen:
            replicas[broker] += 1
        assignment.append(chosen)
    return assignment


def _rack_alternating(brokers: Collection[BrokerSlot]) -> list[BrokerSlot]:
    """Brokers ordered rack by rack in turn (r1, r2, r3, r1, ...), ids ascending in a rack:
    neighbours in this order are on different racks, as in Kafka's rack-aware assignment."""
    by_rack: dict[str, list[BrokerSlot]] = {}
    for slot in sorted(brokers, key=lambda s: s.broker_id):
        by_rack.setdefault(slot.rack, []).append(slot)
    racks = sorted(by_rack)
    order: list[BrokerSlot] = []
    for turn in range(max((len(v) for v in by_rack.values()), default=0)):
        order.extend(by_rack[rack][turn] for rack in racks if turn < len(by_rack[rack]))
    return order


def validate_assignment(assignment: Sequence[Sequence[int]],
                        known_brokers: Collection[int]) -> list[list[BrokerId]]:
    """An explicit assignment, checked: every partition listed, the same replica count
    everywhere, no broker twice in a partition, only registered brokers."""
    if not assignment:
        raise InvalidReplicaAssignment("the replica assignment lists no partitions")
    width = len(assignment[0])
    checked: list[list[BrokerId]] = []
    for partition, replicas in enumerate(assignment):
        if not replicas:
            raise InvalidReplicaAssignment(f"partition {partition} has no replicas")
        if len(replicas) != width:
            raise InvalidReplicaAssignment(
                f"partition {partition} has {len(replicas)} replicas; partition 0 has {width}"
            )
        if len(set(replicas)) != len(replicas):
            raise InvalidReplicaAssignment(f"partition {partition} lists a broker twice")
        unknown = sorted(set(replicas) - set(known_brokers))
        if unknown:
            raise InvalidReplicaAssignment(
                f"partition {partition} names brokers {unknown} that are not registered"
            )
        checked.append([BrokerId(b) for b in replicas])
    return checked


def leader_counts(leaders: Sequence[int]) -> Counter[BrokerId]:
    """How many partitions each broker leads, from a list of partition leaders."""
    return Counter(BrokerId(b) for b in leaders if b >= 0)
