"""The transitions of one classic group: Empty -> PreparingRebalance -> CompletingRebalance
-> Stable, and back to PreparingRebalance whenever membership changes.

- Preparing: the join phase lasts until every known member has a JoinGroup waiting, or the
  group's rebalance timeout (the largest of its members') has passed. The first rebalance of
  an empty group instead waits `initial_rebalance_delay_ms` for more members, each newcomer
  extending the wait by that delay, never past the rebalance timeout from its start.
- Completing the join: members that did not rejoin are removed; the generation grows; the
  leader stays if it rejoined, else the first member (in join order) leads; every waiting
  JoinGroup is answered, the leader's with every member's metadata.
- Completing the rebalance: the leader's SyncGroup stores every assignment and answers every
  waiting SyncGroup. Members of the generation that send no SyncGroup within the rebalance
  timeout are removed (and the group rebalances).
"""

from __future__ import annotations

from kanal.errors import RebalanceInProgress, UnknownMemberId

from kanal_broker.groups.classic.model import (
    ClassicGroup,
    ClassicMember,
    ClassicState,
    JoinAnswer,
    SyncAnswer,
)


def prepare(group: ClassicGroup, *, now_ms: int, initial_delay_ms: int) -> None:
    """Start a join phase (members learn of it from their heartbeats)."""
    if group.state is ClassicState.PREPARING_REBALANCE:
        return
    was_empty = group.state is ClassicState.EMPTY
    for member in group.members.values():
        member.answer_sync(RebalanceInProgress(f"group {group.group_id!r} is rebalancing"))
    group.pending_sync.clear()
    group.sync_deadline_ms = None
    group.state = ClassicState.PREPARING_REBALANCE
    timeout = group.rebalance_timeout_ms
    if was_empty:
        group.initial_join_ends_ms = now_ms + timeout
        group.join_deadline_ms = now_ms + min(initial_delay_ms, timeout)
    else:
        group.initial_join_ends_ms = None
        group.join_deadline_ms = now_ms + timeout


def newcomer_joined(group: ClassicGroup, *, now_ms: int, initial_delay_ms: int) -> None:
    """A new member during the initial delay gives others `initial_delay_ms` more to come."""
    if group.initial_join_ends_ms is None or group.join_deadline_ms is None:
        return
    extended = min(now_ms + initial_delay_ms, group.initial_join_ends_ms)
    group.join_deadline_ms = max(group.join_deadline_ms, extended)


def maybe_complete_join(group: ClassicGroup, *, now_ms: int) -> None:
    if group.state is not ClassicState.PREPARING_REBALANCE:
        return
    due = group.join_deadline_ms is not None and now_ms >= group.join_deadline_ms
    early = group.initial_join_ends_ms is None and group.all_rejoined()
    if due or early or not group.members:
        complete_join(group, now_ms=now_ms)


def complete_join(group: ClassicGroup, *, now_ms: int) -> None:
    for member in [m for m in group.members.values() if m.join_waiter is None]:
        _drop(group, member, UnknownMemberId("the member did not rejoin in time"))
    group.join_deadline_ms = None
    group.initial_join_ends_ms = None
    group.generation += 1
    if not group.members:
        group.state = ClassicState.EMPTY
        group.leader = None
        group.protocol_name = ""
        return
    group.protocol_name = group.select_protocol()
    if group.leader not in group.members:
        group.leader = next(iter(group.members))
    group.state = ClassicState.COMPLETING_REBALANCE
    group.pending_sync = set(group.members)
    group.sync_deadline_ms = now_ms + group.rebalance_timeout_ms
    for member in group.members.values():
        member.session_deadline_ms = now_ms + member.session_timeout_ms
        member.answer_join(join_answer(group, member))


def join_answer(group: ClassicGroup, member: ClassicMember) -> JoinAnswer:
    """What a member of the current generation is told (every member's metadata if it leads)."""
    everyone = tuple(
        (m.member_id, m.instance_id, m.metadata_for(group.protocol_name))
        for m in group.members.values()
    )
    return JoinAnswer(
        generation=group.generation,
        protocol_type=group.protocol_type,
        protocol_name=group.protocol_name,
        leader=group.leader or "",
        member_id=member.member_id,
        members=everyone if member.member_id == group.leader else (),
    )


def complete_sync(group: ClassicGroup, assignments: dict[str, bytes]) -> None:
    """The leader's assignment: store every member's share, answer every waiting SyncGroup."""
    group.state = ClassicState.STABLE
    for member in group.members.values():
        member.assignment = assignments.get(member.member_id, b"")
        member.answer_sync(sync_answer(group, member))


def sync_answer(group: ClassicGroup, member: ClassicMember) -> SyncAnswer:
    return SyncAnswer(group.protocol_type, group.protocol_name, member.assignment)


def remove(group: ClassicGroup, member: ClassicMember, *, reason: str, now_ms: int,
           initial_delay_ms: int) -> None:
    """A member left, was fenced or timed out: the others rebalance without it."""
    _drop(group, member, UnknownMemberId(reason))
    if group.state in (ClassicState.STABLE, ClassicState.COMPLETING_REBALANCE):
        if group.members:
            prepare(group, now_ms=now_ms, initial_delay_ms=initial_delay_ms)
        else:
            group.state = ClassicState.EMPTY
            group.leader = None
    maybe_complete_join(group, now_ms=now_ms)


def _drop(group: ClassicGroup, member: ClassicMember, error: UnknownMemberId) -> None:
    member.answer_join(error)
    member.answer_sync(error)
    del group.members[member.member_id]
    group.pending_sync.discard(member.member_id)
    if group.leader == member.member_id:
        group.leader = None


def expire(group: ClassicGroup, *, now_ms: int, initial_delay_ms: int) -> None:
    """Session timeouts (a member with a JoinGroup or SyncGroup waiting is alive), the end of
    the join phase, and members that never sent their SyncGroup."""
    for member in list(group.members.values()):
        if member.member_id not in group.members:
            continue  # removed meanwhile, by a join phase that one removal completed
        waiting = member.join_waiter is not None or member.sync_waiter is not None
        if not waiting and now_ms >= member.session_deadline_ms:
            remove(group, member, reason="session timed out", now_ms=now_ms,
                   initial_delay_ms=initial_delay_ms)
    maybe_complete_join(group, now_ms=now_ms)
    if group.sync_deadline_ms is not None and now_ms >= group.sync_deadline_ms:
        group.sync_deadline_ms = None
        for member_id in sorted(group.pending_sync):
            silent = group.members.get(member_id)
            if silent is not None:
                remove(group, silent, reason="no SyncGroup within the rebalance timeout",
                       now_ms=now_ms, initial_delay_ms=initial_delay_ms)


def next_deadline(group: ClassicGroup) -> int | None:
    times = [t for t in (group.join_deadline_ms, group.sync_deadline_ms) if t is not None]
    times.extend(m.session_deadline_ms for m in group.members.values()
                 if m.join_waiter is None and m.sync_waiter is None)
    return min(times, default=None)
