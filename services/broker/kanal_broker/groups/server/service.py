"""The `kanal.v1.GroupCoordinator` gRPC servicer: each state-changing call runs under its
`__consumer_offsets` partition's lock and answers only after its records are committed.
Errors travel in the responses' error_code fields (KanalError -> code at this edge)."""

from __future__ import annotations

from collections.abc import Callable

import grpc
from kanal.errors import CoordinatorNotAvailable, KanalError
from kanal.v1 import common_pb2, group_pb2, group_pb2_grpc

from kanal_broker.groups.server import convert
from kanal_broker.groups.server.classic_convert import classic_described
from kanal_broker.groups.server.classic_service import ClassicHandlers
from kanal_broker.groups.server.offsets_log import OFFSETS_TOPIC
from kanal_broker.groups.server.offsets_topic import OffsetsTopic
from kanal_broker.groups.server.ownership import OffsetsOwnership, now_ms
from kanal_broker.metadata_cache import MetadataCache

Context = grpc.aio.ServicerContext[object, object]


def _peer_host(context: Context) -> str:
    peer = context.peer() or ""  # "ipv4:127.0.0.1:5555"
    parts = peer.split(":")
    return ":".join(parts[1:-1]) if len(parts) >= 3 else peer


class GroupCoordinatorService(group_pb2_grpc.GroupCoordinatorServicer):
    def __init__(self, *, ownership: OffsetsOwnership, topic: OffsetsTopic,
                 cache: MetadataCache, wake_classic_timer: Callable[[], None]) -> None:
        self._ownership = ownership
        self._coordinator = ownership.coordinator
        self._classic = ClassicHandlers(ownership.coordinator, wake_classic_timer)
        self._topic = topic
        self._cache = cache

    async def FindCoordinator(self, request: group_pb2.FindCoordinatorRequest,
                              context: Context) -> group_pb2.FindCoordinatorResponse:
        self._topic.ensure()
        response = group_pb2.FindCoordinatorResponse()
        for key in request.keys:
            response.coordinators.append(self._find(key))
        return response

    def _find(self, key: str) -> group_pb2.Coordinator:
        partition = self._coordinator.partition_for(key) if key else 0
        view = self._cache.partition(OFFSETS_TOPIC, partition)
        leader = view.state.leader if view else -1
        broker = self._cache.brokers.get(leader)
        if broker is None:
            missing = CoordinatorNotAvailable(
                f"{OFFSETS_TOPIC}-{partition} has no live leader yet")
            return group_pb2.Coordinator(key=key, error_code=convert.code(missing),
                                         error_message=missing.message,
                                         offsets_partition=partition)
        return group_pb2.Coordinator(
            key=key, offsets_partition=partition, broker=common_pb2.BrokerInfo(
                broker_id=broker.broker_id, rack=broker.rack, metrics_port=broker.metrics_port,
                endpoint=common_pb2.Endpoint(host=broker.host, port=broker.port)))

    async def ConsumerGroupHeartbeat(
            self, request: group_pb2.ConsumerGroupHeartbeatRequest,
            context: Context) -> group_pb2.ConsumerGroupHeartbeatResponse:
        core_request = convert.heartbeat_request(request, _peer_host(context))
        try:
            partition = self._coordinator.partition_for(request.group_id)
            async with self._ownership.lock(partition):
                answer, append = self._coordinator.heartbeat(
                    core_request, topics=self._topic_sizes(), now_ms=now_ms())
                await self._ownership.persist(append)
        except KanalError as error:
            return group_pb2.ConsumerGroupHeartbeatResponse(
                error_code=convert.code(error), error_message=error.message,
                member_id=request.member_id, member_epoch=request.member_epoch)
        return group_pb2.ConsumerGroupHeartbeatResponse(
            member_id=answer.member_id, member_epoch=answer.member_epoch,
            heartbeat_interval_ms=answer.heartbeat_interval_ms,
            assignment=convert.partitions_out(answer.assignment))

    async def OffsetCommit(self, request: group_pb2.OffsetCommitRequest,
                           context: Context) -> group_pb2.OffsetCommitResponse:
        try:
            partition = self._coordinator.partition_for(request.group_id)
            async with self._ownership.lock(partition):
                results, append = self._coordinator.commit(
                    request.group_id, convert.commit_entries(request),
                    member_id=request.member_id, member_epoch=request.member_epoch,
                    now_ms=now_ms())
                await self._ownership.persist(append)
        except KanalError as error:
            return convert.commit_refused(request, error)
        return convert.commit_response(results)

    async def OffsetFetch(self, request: group_pb2.OffsetFetchRequest,
                          context: Context) -> group_pb2.OffsetFetchResponse:
        wanted = convert.partitions_in(request.topics) if request.topics else None
        try:
            found = self._coordinator.fetch(request.group_id, wanted)
        except KanalError as error:
            return group_pb2.OffsetFetchResponse(error_code=convert.code(error),
                                                 error_message=error.message)
        by_topic: dict[str, list[group_pb2.OffsetFetchPartition]] = {}
        for tp, committed in sorted(found.items()):
            by_topic.setdefault(tp.topic, []).append(
                group_pb2.OffsetFetchPartition(partition=tp.partition, committed_offset=-1,
                                               committed_leader_epoch=-1,
                                               commit_timestamp_ms=-1)
                if committed is None else group_pb2.OffsetFetchPartition(
                    partition=tp.partition, committed_offset=committed.offset,
                    committed_leader_epoch=committed.leader_epoch,
                    committed_metadata=committed.metadata,
                    commit_timestamp_ms=committed.commit_timestamp_ms))
        return group_pb2.OffsetFetchResponse(topics=[
            group_pb2.OffsetFetchTopic(topic=t, partitions=ps) for t, ps in by_topic.items()])

    async def ListGroups(self, request: group_pb2.ListGroupsRequest,
                         context: Context) -> group_pb2.ListGroupsResponse:
        listings = self._coordinator.list_groups(request.states_filter)
        return group_pb2.ListGroupsResponse(groups=[
            group_pb2.ListedGroup(group_id=g.group_id, state=g.state.value,
                                  group_type=g.group_type) for g in listings])

    async def DescribeGroups(self, request: group_pb2.DescribeGroupsRequest,
                             context: Context) -> group_pb2.DescribeGroupsResponse:
        response = group_pb2.DescribeGroupsResponse()
        for group_id in request.group_ids:
            try:
                classic = self._coordinator.classic_groups(group_id).get(group_id)
                if classic is not None:
                    response.groups.append(classic_described(classic))
                    continue
                response.groups.append(convert.described(self._coordinator.describe(group_id)))
            except KanalError as error:
                response.groups.append(group_pb2.DescribedGroup(
                    group_id=group_id, error_code=convert.code(error),
                    error_message=error.message))
        return response

    async def DeleteGroups(self, request: group_pb2.DeleteGroupsRequest,
                           context: Context) -> group_pb2.DeleteGroupsResponse:
        response = group_pb2.DeleteGroupsResponse()
        for group_id in request.group_ids:
            result = group_pb2.DeleteGroupResult(group_id=group_id)
            try:
                partition = self._coordinator.partition_for(group_id)
                async with self._ownership.lock(partition):
                    await self._ownership.persist(self._coordinator.delete(group_id))
            except KanalError as error:
                result.error_code = convert.code(error)
                result.error_message = error.message
            response.results.append(result)
        return response

    async def JoinGroup(self, request: group_pb2.JoinGroupRequest,
                        context: Context) -> group_pb2.JoinGroupResponse:
        return await self._classic.join(request, _peer_host(context))

    async def SyncGroup(self, request: group_pb2.SyncGroupRequest,
                        context: Context) -> group_pb2.SyncGroupResponse:
        return await self._classic.sync(request)

    async def Heartbeat(self, request: group_pb2.HeartbeatRequest,
                        context: Context) -> group_pb2.HeartbeatResponse:
        return self._classic.heartbeat(request)

    async def LeaveGroup(self, request: group_pb2.LeaveGroupRequest,
                         context: Context) -> group_pb2.LeaveGroupResponse:
        return self._classic.leave(request)

    def _topic_sizes(self) -> dict[str, int]:
        return {name: spec.num_partitions for name, spec in self._cache.topics.items()}

