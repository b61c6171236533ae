"""A consumer group's persistent state and the changes that bump its epoch.

Epochs (KIP-848): the group epoch grows on every change that can alter the assignment
(a member joins, leaves or is fenced; a subscription changes; a subscribed topic appears or
grows). The target assignment is computed for a group epoch and carries it as its
`assignment_epoch`; each member then reconciles toward its share of the target and takes
that epoch as its member epoch once it has revoked what it must give up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from kanal.types import TopicPartition

from kanal_broker.groups.assignors import AssignmentMember, assignor_named
from kanal_broker.groups.member import Member, MemberState
from kanal_broker.groups.subscriptions import subscribed_topics


class GroupState(StrEnum):
    EMPTY = "Empty"
    ASSIGNING = "Assigning"
    RECONCILING = "Reconciling"
    STABLE = "Stable"
    DEAD = "Dead"


@dataclass(slots=True)
class ConsumerGroup:
    group_id: str
    group_epoch: int = 0
    assignment_epoch: int = 0
    assignor_name: str = ""
    """The assignor that computed the current target ("" before the first one)."""
    members: dict[str, Member] = field(default_factory=dict)
    target: dict[str, frozenset[TopicPartition]] = field(default_factory=dict)
    subscribed_metadata: dict[str, int] = field(default_factory=dict)
    """Partition counts of the subscribed topics when the group epoch was last bumped."""
    empty_since_ms: int | None = None
    """When the last member left (None while it has members): offsets retention counts from it."""

    @property
    def state(self) -> GroupState:
        if not self.members:
            return GroupState.EMPTY
        if self.group_epoch > self.assignment_epoch:
            return GroupState.ASSIGNING
        if any(
            m.member_epoch != self.assignment_epoch or m.state is not MemberState.STABLE
            for m in self.members.values()
        ):
            return GroupState.RECONCILING
        return GroupState.STABLE

    def member_by_instance(self, instance_id: str) -> Member | None:
        for member in self.members.values():
            if member.instance_id == instance_id:
                return member
        return None

    def held_by_others(self, member_id: str) -> Callable[[TopicPartition], bool]:
        held = {
            tp
            for other in self.members.values()
            if other.member_id != member_id
            for tp in other.holds
        }
        return held.__contains__

    def bump_epoch(self) -> None:
        self.group_epoch += 1

    def add_member(self, member: Member) -> None:
        """A new member; the caller bumps the epoch once for everything its heartbeat changed."""
        self.members[member.member_id] = member
        self.empty_since_ms = None

    def remove_member(self, member_id: str, *, now_ms: int) -> None:
        """Drop a member (left or fenced): what it held becomes free at once."""
        self.members.pop(member_id, None)
        self.target.pop(member_id, None)
        self.bump_epoch()
        if not self.members:
            self.empty_since_ms = now_ms

    def rekey_member(self, old_id: str, member: Member) -> None:
        """A static member's replacement takes over its assignment under a new member id."""
        del self.members[old_id]
        self.members[member.member_id] = member
        if old_id in self.target:
            self.target[member.member_id] = self.target.pop(old_id)

    def refresh_metadata(self, topics: Mapping[str, int]) -> bool:
        """Record the subscribed topics' sizes; True when one appeared, vanished or grew."""
        names = set().union(*(subscribed_topics(m, topics) for m in self.members.values()))
        current = {name: topics[name] for name in sorted(names)}
        if current == self.subscribed_metadata:
            return False
        self.subscribed_metadata = current
        return True

    def ensure_target(self, topics: Mapping[str, int], default_assignor: str) -> None:
        """Compute the target assignment for the group epoch, if not done yet."""
        if self.group_epoch <= self.assignment_epoch:
            return
        name = self.preferred_assignor(default_assignor)
        inputs = {
            member_id: AssignmentMember(
                topics=subscribed_topics(member, topics),
                current=self.target.get(member_id, frozenset()),
                instance_id=member.instance_id,
            )
            for member_id, member in self.members.items()
        }
        sizes = {name: topics[name] for name in self.subscribed_metadata if name in topics}
        self.target = assignor_named(name)(inputs, sizes)
        self.assignor_name = name
        self.assignment_epoch = self.group_epoch

    def preferred_assignor(self, default_assignor: str) -> str:
        """The assignor most members ask for (ties by name); the default when none asks."""
        votes = Counter(m.server_assignor for m in self.members.values() if m.server_assignor)
        if not votes:
            return default_assignor
        return min(votes, key=lambda name: (-votes[name], name))
