"""Group administration (what `kanal group` and kafka-consumer-groups do): list every
coordinator's groups, describe one with its lag, reset its offsets, delete it.

Groups live on the coordinator of their `__consumer_offsets` partition, so listing asks every
broker; everything else goes to the group's coordinator through a GroupLink.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import grpc

from kanal.client.aio_admin import AIOAdmin
from kanal.client.aio_consumer import AIOConsumer
from kanal.client.connection import CHANNEL_OPTIONS
from kanal.client.group_link import GroupLink
from kanal.client.group_offsets import commit_offsets, fetch_committed
from kanal.client.group_types import OffsetAndMetadata
from kanal.errors import KanalError, NonEmptyGroup, error_for_code
from kanal.types import HostPort, TopicPartition
from kanal.v1 import group_pb2, group_pb2_grpc

ADMIN_MEMBER_ID, ADMIN_EPOCH = "", -1
"""An admin commit (reset-offsets): no member, accepted only while the group is empty."""


@dataclass(frozen=True, slots=True)
class PartitionLag:
    tp: TopicPartition
    committed: int | None
    log_end: int
    owner: group_pb2.GroupMember | None

    @property
    def lag(self) -> int | None:
        return None if self.committed is None else max(0, self.log_end - self.committed)


class GroupAdmin:
    def __init__(self, bootstrap: Sequence[HostPort]) -> None:
        self._bootstrap = list(bootstrap)
        self.servers = ",".join(str(b) for b in bootstrap)

    def link(self, group_id: str) -> GroupLink:
        return GroupLink(self._bootstrap, group_id, timeout_s=30.0)

    async def list_groups(self) -> list[group_pb2.ListedGroup]:
        async with AIOAdmin(bootstrap_servers=self.servers) as admin:
            cluster = await admin.describe_cluster()
        found: dict[str, group_pb2.ListedGroup] = {}
        for broker in cluster.brokers:
            channel = grpc.aio.insecure_channel(str(broker.endpoint), options=CHANNEL_OPTIONS)
            try:
                stub = group_pb2_grpc.GroupCoordinatorStub(channel)
                answer = await stub.ListGroups(group_pb2.ListGroupsRequest(), timeout=15)
            finally:
                await channel.close(None)
            for group in answer.groups:
                found[group.group_id] = group
        return [found[g] for g in sorted(found)]

    async def describe(self, group_id: str) -> group_pb2.DescribedGroup:
        link = self.link(group_id)
        try:
            request = group_pb2.DescribeGroupsRequest(group_ids=[group_id])
            answer = await link.call(lambda stub: stub.DescribeGroups(request, timeout=15),
                                     lambda answer: answer.groups[0].error_code)
        finally:
            await link.close()
        group = answer.groups[0]
        if group.error_code:
            raise error_for_code(group.error_code, group.error_message)
        return group

    async def lag(self, group_id: str) -> list[PartitionLag]:
        """Every partition with a committed offset or an owner, with its log end offset."""
        try:
            group: group_pb2.DescribedGroup | None = await self.describe(group_id)
        except KanalError:
            group = None
        owners = {TopicPartition(t.topic, p): m
                  for m in (group.members if group else ()) for t in m.assignment
                  for p in t.partitions}
        link = self.link(group_id)
        try:
            committed = await fetch_committed(link)
        finally:
            await link.close()
        tps = sorted(set(committed) | set(owners))
        ends = await self.log_end_offsets(tps)
        return [PartitionLag(tp, c.offset if (c := committed.get(tp)) else None, ends[tp],
                             owners.get(tp)) for tp in tps]

    async def log_end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        if not tps:
            return {}
        async with AIOConsumer(bootstrap_servers=self.servers) as consumer:
            return await consumer.end_offsets(tps)

    async def log_start_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        async with AIOConsumer(bootstrap_servers=self.servers) as consumer:
            return await consumer.beginning_offsets(tps)

    async def commit(self, group_id: str, offsets: dict[TopicPartition, int]) -> None:
        """An admin commit: refused (UNKNOWN_MEMBER_ID) while the group has members."""
        if (group := await self.describe_if_exists(group_id)) is not None and group.members:
            raise NonEmptyGroup(f"group {group_id!r} has {len(group.members)} members; "
                                "stop them before resetting its offsets")
        link = self.link(group_id)
        try:
            await commit_offsets(link, {tp: OffsetAndMetadata(o) for tp, o in offsets.items()},
                                 member_id=ADMIN_MEMBER_ID, member_epoch=ADMIN_EPOCH)
        finally:
            await link.close()

    async def delete(self, group_id: str) -> None:
        link = self.link(group_id)
        try:
            request = group_pb2.DeleteGroupsRequest(group_ids=[group_id])
            answer = await link.call(lambda stub: stub.DeleteGroups(request, timeout=15),
                                     lambda answer: answer.results[0].error_code)
        finally:
            await link.close()
        result = answer.results[0]
        if result.error_code:
            raise error_for_code(result.error_code, result.error_message)

    async def partitions(self, topic: str) -> list[TopicPartition]:
        async with AIOAdmin(bootstrap_servers=self.servers) as admin:
            (info,) = await admin.describe_topics([topic])
        return sorted(TopicPartition(topic, p.partition) for p in info.partitions)

    async def describe_if_exists(self, group_id: str) -> group_pb2.DescribedGroup | None:
        try:
            return await self.describe(group_id)
        except KanalError:
            return None
