"""Between group.proto messages and the coordinator core's types."""

from __future__ import annotations

from collections.abc import Iterable

from kanal.errors import KanalError
from kanal.types import TopicPartition
from kanal.v1 import common_pb2, group_pb2

from kanal_broker.groups.membership import HeartbeatRequest
from kanal_broker.groups.offsets import OffsetCommitEntry
from kanal_broker.groups.views import GroupDescription


def code(error: KanalError) -> common_pb2.ErrorCode.ValueType:
    return common_pb2.ErrorCode.ValueType(error.code)


def partitions_in(topics: Iterable[group_pb2.TopicPartitions]) -> frozenset[TopicPartition]:
    return frozenset(TopicPartition(t.topic, p) for t in topics for p in t.partitions)


def partitions_out(partitions: Iterable[TopicPartition]) -> list[group_pb2.TopicPartitions]:
    by_topic: dict[str, list[int]] = {}
    for tp in partitions:
        by_topic.setdefault(tp.topic, []).append(tp.partition)
    return [group_pb2.TopicPartitions(topic=t, partitions=sorted(ps))
            for t, ps in sorted(by_topic.items())]


def heartbeat_request(request: group_pb2.ConsumerGroupHeartbeatRequest,
                      client_host: str) -> HeartbeatRequest:
    return HeartbeatRequest(
        group_id=request.group_id,
        member_id=request.member_id,
        member_epoch=request.member_epoch,
        instance_id=request.instance_id if request.HasField("instance_id") else None,
        rack_id=request.rack_id if request.HasField("rack_id") else None,
        rebalance_timeout_ms=request.rebalance_timeout_ms,
        subscribed_topic_names=tuple(request.subscribed_topic_names),
        subscribed_topic_regex=(request.subscribed_topic_regex
                                if request.HasField("subscribed_topic_regex") else None),
        server_assignor=(request.server_assignor
                         if request.HasField("server_assignor") else None),
        owned=partitions_in(request.topic_partitions),
        client_id=request.client_id,
        client_host=client_host,
    )


def commit_entries(request: group_pb2.OffsetCommitRequest) -> list[OffsetCommitEntry]:
    return [OffsetCommitEntry(TopicPartition(t.topic, p.partition), p.committed_offset,
                              p.committed_leader_epoch, p.committed_metadata)
            for t in request.topics for p in t.partitions]


def commit_response(results: dict[TopicPartition, KanalError | None]
                    ) -> group_pb2.OffsetCommitResponse:
    by_topic: dict[str, list[group_pb2.OffsetCommitPartitionResponse]] = {}
    for tp, error in sorted(results.items()):
        by_topic.setdefault(tp.topic, []).append(group_pb2.OffsetCommitPartitionResponse(
            partition=tp.partition, error_code=code(error) if error else common_pb2.NONE,
            error_message=error.message if error else ""))
    return group_pb2.OffsetCommitResponse(topics=[
        group_pb2.OffsetCommitTopicResponse(topic=t, partitions=ps)
        for t, ps in by_topic.items()])


def commit_refused(request: group_pb2.OffsetCommitRequest,
                   error: KanalError) -> group_pb2.OffsetCommitResponse:
    """A group-level refusal: the error on the request and on every partition of it."""
    results: dict[TopicPartition, KanalError | None] = {
        entry.partition: error for entry in commit_entries(request)}
    response = commit_response(results)
    response.error_code = code(error)
    response.error_message = error.message
    return response


def described(description: GroupDescription) -> group_pb2.DescribedGroup:
    members = []
    for m in description.members:
        member = m.member
        members.append(group_pb2.GroupMember(
            member_id=member.member_id, instance_id=member.instance_id,
            rack_id=member.rack_id, member_epoch=member.member_epoch,
            client_id=member.client_id, client_host=member.client_host,
            subscribed_topic_names=list(member.subscribed_topic_names),
            subscribed_topic_regex=member.subscribed_topic_regex,
            assignment=partitions_out(member.assigned),
            target_assignment=partitions_out(m.target),
            member_state=member.state.value))
    return group_pb2.DescribedGroup(
        group_id=description.group_id, state=description.state.value,
        group_epoch=description.group_epoch, assignment_epoch=description.assignment_epoch,
        assignor_name=description.assignor_name, members=members, group_type="consumer")
