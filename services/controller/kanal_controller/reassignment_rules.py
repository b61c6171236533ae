"""Partition reassignment (Kafka's KIP-455), the rules for one partition. Pure functions.

A reassignment moves a partition from its original replicas O to a target T in steps that
never drop below the original redundancy:

1. start: the topic's assignment becomes T followed by O - T (T first, so elections and the
   preferred leader already follow the target); the partition state records
   adding = T - O and removing = O - T. The new replicas open empty logs and fetch from the
   leader like any follower; the leader lets them into the ISR through AlterPartition once
   they caught up.
2. complete, once every adding replica is in the ISR: the assignment becomes T, the removed
   replicas leave the ISR, and if the leader is among them leadership goes to the first
   replica of T that is in sync and eligible (a new leader epoch, so followers truncate
   against it). The removed brokers then see they no longer host the partition and delete
   its directory.

Every step bumps the partition epoch, so an AlterPartition based on the state before the
step is refused as stale. The leader epoch moves only with the leader. Cancelling returns to
the set O the same way, in the order of the move's list as Kafka's revert does (adding
replicas leave at once: they never were the only copy of anything committed).
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass, replace

from kanal.errors import InvalidReplicaAssignment
from kanal.meta.documents import PartitionState
from kanal.types import NO_LEADER


@dataclass(frozen=True, slots=True)
class Step:
    """A partition's next assignment (replica list) and state."""

    replicas: list[int]
    state: PartitionState


def original_replicas(replicas: Sequence[int], state: PartitionState) -> list[int]:
    """The replicas the partition had before its reassignment began (all of them if none)."""
    return [b for b in replicas if b not in state.adding_replicas]


def target_replicas(replicas: Sequence[int], state: PartitionState) -> list[int]:
    """The replicas the partition will have when its reassignment completes."""
    return [b for b in replicas if b not in state.removing_replicas]


def check_target(target: Sequence[int], registered: Set[int], where: str) -> None:
    if not target:
        raise InvalidReplicaAssignment(f"{where}: the target replica list is empty")
    if len(set(target)) != len(target):
        raise InvalidReplicaAssignment(f"{where}: the target lists a broker twice: {target}")
    unknown = sorted(set(target) - set(registered))
    if unknown:
        raise InvalidReplicaAssignment(f"{where}: brokers {unknown} are not registered")


def start(replicas: Sequence[int], state: PartitionState, target: Sequence[int], *,
          throttle: int) -> Step:
    """Begin moving to `target` (replacing a reassignment already in progress: its original
    replicas stay the origin, as in Kafka). `target` must have passed `check_target`."""
    original = original_replicas(replicas, state)
    adding = [b for b in target if b not in original]
    removing = [b for b in original if b not in target]
    return Step(
        replicas=[*target, *removing],
        state=replace(state, adding_replicas=adding, removing_replicas=removing,
                      reassignment_throttle=throttle if adding else 0,
                      partition_epoch=state.partition_epoch + 1),
    )


def complete(replicas: Sequence[int], state: PartitionState,
             eligible: Set[int]) -> Step | None:
    """The finishing step once every adding replica is in sync; None while it must wait (an
    adding replica still catching up, or no in-sync eligible replica of the target to lead)."""
    if not state.reassigning or not set(state.adding_replicas) <= set(state.isr):
        return None
    return _settle(target_replicas(replicas, state), state, eligible)


def cancel(replicas: Sequence[int], state: PartitionState, eligible: Set[int]) -> Step | None:
    """Back to the original replicas; None when none of them is in sync and eligible to lead
    (the partition would go offline: finish or re-target the move instead)."""
    return _settle(original_replicas(replicas, state), state, eligible)


def _settle(final: list[int], state: PartitionState, eligible: Set[int]) -> Step | None:
    isr = [b for b in state.isr if b in final]
    if state.leader in isr:
        leader = state.leader
    else:
        leader = next((b for b in final if b in isr and b in eligible), NO_LEADER)
        if leader == NO_LEADER:
            return None
    return Step(
        replicas=final,
        state=replace(state, leader=leader, isr=isr, adding_replicas=[], removing_replicas=[],
                      reassignment_throttle=0,
                      leader_epoch=state.leader_epoch + (leader != state.leader),
                      partition_epoch=state.partition_epoch + 1),
    )
