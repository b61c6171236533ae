"""One member of a consumer group, as the coordinator remembers it (and persists it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from kanal.types import TopicPartition

JOIN_EPOCH = 0
"""A heartbeat with this epoch joins (or rejoins) the group."""
LEAVE_EPOCH = -1
"""A heartbeat with this epoch leaves the group for good."""
STATIC_LEAVE_EPOCH = -2
"""A static member's temporary leave: its partitions stay reserved for its instance id."""


class MemberState(StrEnum):
    STABLE = "Stable"
    """Owns its whole target assignment, or waits for nothing."""
    UNREVOKED_PARTITIONS = "UnrevokedPartitions"
    """Must give up `pending_revocation` and say so in a heartbeat before moving on."""
    UNRELEASED_PARTITIONS = "UnreleasedPartitions"
    """At the target epoch, but some target partitions still belong to other members."""


@dataclass(frozen=True, slots=True)
class Member:
    member_id: str
    instance_id: str | None = None
    rack_id: str | None = None
    client_id: str = ""
    client_host: str = ""
    subscribed_topic_names: tuple[str, ...] = ()
    """Sorted and deduplicated, so equal subscriptions compare equal."""
    subscribed_topic_regex: str | None = None
    server_assignor: str | None = None
    rebalance_timeout_ms: int = 0
    member_epoch: int = JOIN_EPOCH
    previous_member_epoch: int = LEAVE_EPOCH
    """Accepted in a heartbeat once, when the answer that raised the epoch was lost."""
    state: MemberState = MemberState.STABLE
    assigned: frozenset[TopicPartition] = field(default_factory=frozenset)
    """What the member may consume now; told to it in every heartbeat answer."""
    pending_revocation: frozenset[TopicPartition] = field(default_factory=frozenset)
    """What it must stop consuming; still counted as its own until it acknowledges."""

    @property
    def holds(self) -> frozenset[TopicPartition]:
        """Partitions nobody else may be given: assigned plus not yet released."""
        return self.assigned | self.pending_revocation

    @property
    def is_static_left(self) -> bool:
        return self.member_epoch == STATIC_LEAVE_EPOCH

    def same_subscription(self, other: Member) -> bool:
        return (
            self.subscribed_topic_names == other.subscribed_topic_names
            and self.subscribed_topic_regex == other.subscribed_topic_regex
            and self.server_assignor == other.server_assignor
        )
