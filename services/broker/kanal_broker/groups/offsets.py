"""Committed offsets of one group: validation, member-epoch fencing, retention.

Fencing (KIP-848, as Kafka's ConsumerGroup.validateOffsetCommit): a commit names a member and
its epoch. Unknown member: UNKNOWN_MEMBER_ID; epoch newer than the coordinator's:
FENCED_MEMBER_EPOCH; older: STALE_MEMBER_EPOCH. A member that is revoking partitions keeps
its epoch until it acknowledges, so it can still commit what it processed before giving them
up; a zombie fenced by a session timeout is unknown and changes nothing. An admin commit
(no member id, epoch < 0) is accepted only while the group has no members: that is how
`kanal group reset-offsets` works.

Retention (offsets.retention.minutes): an offset expires once `retention` has passed since
the later of its commit and the moment the group became empty; while the group has members,
only offsets of topics no member subscribes to expire, counted from their commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kanal.errors import (
    FencedMemberEpoch,
    InvalidRequest,
    KanalError,
    OffsetMetadataTooLarge,
    StaleMemberEpoch,
    UnknownMemberId,
)
from kanal.types import TopicPartition

from kanal_broker.groups.group import ConsumerGroup

NO_LEADER_EPOCH = -1


@dataclass(frozen=True, slots=True)
class CommittedOffset:
    offset: int
    leader_epoch: int = NO_LEADER_EPOCH
    metadata: str = ""
    commit_timestamp_ms: int = 0


@dataclass(frozen=True, slots=True)
class OffsetCommitEntry:
    partition: TopicPartition
    offset: int
    leader_epoch: int = NO_LEADER_EPOCH
    metadata: str = ""


@dataclass(slots=True)
class OffsetStore:
    offsets: dict[TopicPartition, CommittedOffset] = field(default_factory=dict)

    def fetch(
        self, partitions: Iterable[TopicPartition] | None = None
    ) -> dict[TopicPartition, CommittedOffset | None]:
        if partitions is None:
            return dict(sorted(self.offsets.items()))
        return {tp: self.offsets.get(tp) for tp in partitions}

    def expired(
        self, group: ConsumerGroup, subscribed: frozenset[str], *, now_ms: int, retention_ms: int
    ) -> list[TopicPartition]:
        """Offsets past retention (see the module docstring), in order."""
        gone = []
        for tp, committed in sorted(self.offsets.items()):
            if group.members:
                if tp.topic in subscribed:
                    continue
                base = committed.commit_timestamp_ms
            else:
                base = max(committed.commit_timestamp_ms, group.empty_since_ms or 0)
            if now_ms - base >= retention_ms:
                gone.append(tp)
        return gone


def check_commit_fencing(group: ConsumerGroup | None, member_id: str, member_epoch: int) -> None:
    """Raise when this member may not commit for the group now; change nothing."""
    members = group.members if group is not None else {}
    if not member_id and member_epoch < 0:
        if members:
            raise UnknownMemberId(
                "the group has members: an admin commit (no member id) needs an empty group"
            )
        return
    member = members.get(member_id)
    if member is None:
        raise UnknownMemberId(f"member {member_id!r} is not in the group")
    if member_epoch > member.member_epoch:
        raise FencedMemberEpoch(
            f"epoch {member_epoch} is newer than the coordinator's {member.member_epoch}"
        )
    if member_epoch < member.member_epoch:
        raise StaleMemberEpoch(
            f"epoch {member_epoch} is older than the coordinator's {member.member_epoch}"
        )


def check_entry(entry: OffsetCommitEntry, *, metadata_max_bytes: int) -> KanalError | None:
    """The per-partition error for one commit entry, or None when it is acceptable."""
    if entry.offset < 0:
        return InvalidRequest(f"offset {entry.offset} for {entry.partition} is negative")
    if entry.partition.partition < 0 or not entry.partition.topic:
        return InvalidRequest(f"{entry.partition} is not a partition")
    try:
        metadata_bytes = len(entry.metadata.encode("utf-8"))
    except UnicodeEncodeError:
        return InvalidRequest(f"metadata for {entry.partition} is not valid UTF-8")
    if metadata_bytes > metadata_max_bytes:
        return OffsetMetadataTooLarge(
            f"metadata for {entry.partition} is longer than {metadata_max_bytes} bytes"
        )
    return None
