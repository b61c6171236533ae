"""Moving one member from its current assignment toward its target (KIP-848).

The invariant this module keeps: a partition is in at most one member's `holds` (assigned or
pending revocation). A partition leaves a member's `holds` only when the member acknowledges
in a heartbeat that it no longer owns it (or the member is removed), and joins another
member's `assigned` only when no member holds it. So the revoke is always acknowledged
before the assign, and members that keep partitions keep consuming throughout.

The member epoch moves to the target assignment epoch only once everything it must revoke
is revoked; partitions still held by others are given later, at the same epoch
(UNRELEASED_PARTITIONS), as their owners release them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from kanal.types import TopicPartition

from kanal_broker.groups.member import Member, MemberState


def reconcile(
    member: Member,
    *,
    target: frozenset[TopicPartition],
    target_epoch: int,
    held_by_others: Callable[[TopicPartition], bool],
    reported_owned: frozenset[TopicPartition] | None,
) -> Member:
    """The member's next state; `reported_owned` is what its heartbeat says it owns."""
    if member.state is MemberState.UNREVOKED_PARTITIONS:
        if reported_owned is None or reported_owned & member.pending_revocation:
            return member
        member = replace(member, pending_revocation=frozenset())
    elif member.state is MemberState.STABLE and member.member_epoch == target_epoch:
        return member
    return _next_assignment(member, target, target_epoch, held_by_others)


def _next_assignment(
    member: Member,
    target: frozenset[TopicPartition],
    target_epoch: int,
    held_by_others: Callable[[TopicPartition], bool],
) -> Member:
    kept = member.assigned & target
    to_revoke = member.assigned - target
    if to_revoke:
        # The epoch stays: the member reaches the target epoch only after revoking.
        return replace(
            member,
            state=MemberState.UNREVOKED_PARTITIONS,
            assigned=kept,
            pending_revocation=to_revoke,
        )
    to_add = target - member.assigned
    free = frozenset(tp for tp in to_add if not held_by_others(tp))
    previous = (
        member.member_epoch if member.member_epoch != target_epoch else member.previous_member_epoch
    )
    return replace(
        member,
        state=MemberState.UNRELEASED_PARTITIONS if free != to_add else MemberState.STABLE,
        member_epoch=target_epoch,
        previous_member_epoch=previous,
        assigned=kept | free,
        pending_revocation=frozenset(),
    )
