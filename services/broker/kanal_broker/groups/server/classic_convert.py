"""A classic group as a DescribeGroups entry."""

from __future__ import annotations

from kanal.v1 import group_pb2

from kanal_broker.groups.classic.model import ClassicGroup


def classic_described(group: ClassicGroup) -> group_pb2.DescribedGroup:
    """Generation as group_epoch and member_epoch, the chosen protocol as assignor_name."""
    return group_pb2.DescribedGroup(
        group_id=group.group_id, state=group.state.value, group_epoch=group.generation,
        assignment_epoch=group.generation, assignor_name=group.protocol_name,
        group_type="classic", protocol_type=group.protocol_type,
        members=[group_pb2.GroupMember(
            member_id=m.member_id, instance_id=m.instance_id, member_epoch=group.generation,
            client_id=m.client_id, client_host=m.client_host, member_state=(
                "Stable" if m.member_id not in group.pending_sync else "AwaitingSync"))
            for m in group.members.values()])
