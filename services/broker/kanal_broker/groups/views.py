"""Read-only views of groups for DescribeGroups and ListGroups."""

from __future__ import annotations

from dataclasses import dataclass

from kanal.types import TopicPartition

from kanal_broker.groups.classic.model import ClassicState
from kanal_broker.groups.group import ConsumerGroup, GroupState
from kanal_broker.groups.member import Member


@dataclass(frozen=True, slots=True)
class MemberDescription:
    member: Member
    target: frozenset[TopicPartition]
    """What the member will own once reconciled."""


@dataclass(frozen=True, slots=True)
class GroupDescription:
    group_id: str
    state: GroupState
    group_epoch: int
    assignment_epoch: int
    assignor_name: str
    members: tuple[MemberDescription, ...]


@dataclass(frozen=True, slots=True)
class GroupListing:
    group_id: str
    state: GroupState | ClassicState
    group_type: str = "consumer"
    """"consumer" (KIP-848) or "classic" (JoinGroup/SyncGroup)."""


def describe_group(group: ConsumerGroup) -> GroupDescription:
    return GroupDescription(
        group_id=group.group_id,
        state=group.state,
        group_epoch=group.group_epoch,
        assignment_epoch=group.assignment_epoch,
        assignor_name=group.assignor_name,
        members=tuple(
            MemberDescription(member, group.target.get(member_id, frozenset()))
            for member_id, member in sorted(group.members.items())
        ),
    )
