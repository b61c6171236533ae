"""Server-side assignors: from members' subscriptions and topic sizes to a target assignment.

Two assignors, chosen per group by name:

- `uniform` (Kafka's UniformAssignor, sticky): every member keeps what it owns now when it is
  still subscribed and the partition still exists; unowned partitions go to the eligible
  member with the fewest; then single partitions move from the most to the least loaded
  eligible member while their counts differ by more than one. With equal subscriptions the
  counts end within one of each other, and a join moves only the partitions balance needs.
- `range` (Kafka's RangeAssignor): per topic, the subscribed members in order (static members
  by instance id first, then the others by member id) get contiguous ranges; the first
  `partitions % members` get one extra.

Both are pure and deterministic: equal input, equal output.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kanal.errors import UnsupportedAssignor
from kanal.types import TopicPartition

from kanal_broker.groups.config import RANGE_ASSIGNOR, UNIFORM_ASSIGNOR


@dataclass(frozen=True, slots=True)
class AssignmentMember:
    """What an assignor knows of one member."""

    topics: frozenset[str]
    """The topics it subscribes to, regex already resolved against the metadata."""
    current: frozenset[TopicPartition] = frozenset()
    """Its current target assignment, so a sticky assignor can keep it."""
    instance_id: str | None = None


Assignment = dict[str, frozenset[TopicPartition]]
Assignor = Callable[[Mapping[str, AssignmentMember], Mapping[str, int]], Assignment]


def assign_range(members: Mapping[str, AssignmentMember], topics: Mapping[str, int]) -> Assignment:
    result: dict[str, set[TopicPartition]] = {member_id: set() for member_id in members}
    for topic in sorted(topics):
        subscribers = sorted(
            (m for m in members if topic in members[m].topics),
            key=lambda m: _range_order(m, members[m]),
        )
        if not subscribers:
            continue
        per_member, extra = divmod(topics[topic], len(subscribers))
        start = 0
        for index, member_id in enumerate(subscribers):
            length = per_member + (1 if index < extra else 0)
            result[member_id].update(TopicPartition(topic, p) for p in range(start, start + length))
            start += length
    return {member_id: frozenset(parts) for member_id, parts in result.items()}


def _range_order(member_id: str, member: AssignmentMember) -> tuple[int, str]:
    # Kafka's MemberInfo ordering: static members (by instance id) before dynamic ones.
    if member.instance_id is not None:
        return (0, member.instance_id)
    return (1, member_id)


def assign_uniform(
    members: Mapping[str, AssignmentMember], topics: Mapping[str, int]
) -> Assignment:
    owned: dict[str, set[TopicPartition]] = {member_id: set() for member_id in members}
    taken: set[TopicPartition] = set()
    for member_id in sorted(members):
        for tp in sorted(members[member_id].current):
            if tp not in taken and _eligible(members[member_id], tp, topics):
                owned[member_id].add(tp)
                taken.add(tp)
    for tp in _all_partitions(topics):
        if tp in taken:
            continue
        eligible = [m for m in members if tp.topic in members[m].topics]
        if eligible:
            receiver = min(eligible, key=lambda m: (len(owned[m]), m))
            owned[receiver].add(tp)
    _rebalance(owned, members)
    return {member_id: frozenset(parts) for member_id, parts in owned.items()}


def _rebalance(
    owned: dict[str, set[TopicPartition]], members: Mapping[str, AssignmentMember]
) -> None:
    """Move one partition at a time from a fuller to an emptier eligible member.

    Each move lowers the sum of squared counts, so the loop ends; it stops when no partition
    can move to a member holding at least two fewer. Donors are tried fullest first and
    receivers emptiest first, which makes every move one that balance requires.
    """
    while True:
        move = _find_move(owned, members)
        if move is None:
            return
        donor, receiver, tp = move
        owned[donor].remove(tp)
        owned[receiver].add(tp)


def _find_move(
    owned: Mapping[str, set[TopicPartition]], members: Mapping[str, AssignmentMember]
) -> tuple[str, str, TopicPartition] | None:
    donors = sorted(owned, key=lambda m: (-len(owned[m]), m))
    receivers = sorted(owned, key=lambda m: (len(owned[m]), m))
    for donor in donors:
        for receiver in receivers:
            if len(owned[receiver]) + 1 >= len(owned[donor]):
                break
            movable = [tp for tp in owned[donor] if tp.topic in members[receiver].topics]
            if movable:
                return donor, receiver, max(movable)
    return None


def _eligible(member: AssignmentMember, tp: TopicPartition, topics: Mapping[str, int]) -> bool:
    return tp.topic in member.topics and 0 <= tp.partition < topics.get(tp.topic, 0)


def _all_partitions(topics: Mapping[str, int]) -> list[TopicPartition]:
    return [TopicPartition(t, p) for t in sorted(topics) for p in range(topics[t])]


ASSIGNORS: dict[str, Assignor] = {UNIFORM_ASSIGNOR: assign_uniform, RANGE_ASSIGNOR: assign_range}


def assignor_named(name: str) -> Assignor:
    try:
        return ASSIGNORS[name]
    except KeyError:
        raise UnsupportedAssignor(
            f"unknown assignor {name!r}; known: {sorted(ASSIGNORS)}"
        ) from None
