"""Committing and reading a group's offsets through its coordinator."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kanal.client.group_link import GroupLink
from kanal.client.group_types import OffsetAndMetadata
from kanal.errors import KanalError, error_for_code
from kanal.types import TopicPartition
from kanal.v1 import group_pb2


def _by_topic(tps: Iterable[TopicPartition]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for tp in sorted(tps):
        grouped.setdefault(tp.topic, []).append(tp.partition)
    return grouped


async def commit_offsets(link: GroupLink, offsets: Mapping[TopicPartition, OffsetAndMetadata],
                         *, member_id: str, member_epoch: int) -> None:
    """Commit; raise the first error (group-level, else per partition)."""
    if not offsets:
        return
    request = group_pb2.OffsetCommitRequest(
        group_id=link.group_id, member_id=member_id, member_epoch=member_epoch,
        topics=[group_pb2.OffsetCommitTopic(topic=topic, partitions=[
            group_pb2.OffsetCommitPartition(
                partition=p, committed_offset=offsets[TopicPartition(topic, p)].offset,
                committed_leader_epoch=offsets[TopicPartition(topic, p)].leader_epoch,
                committed_metadata=offsets[TopicPartition(topic, p)].metadata)
            for p in partitions]) for topic, partitions in _by_topic(offsets).items()])
    answer = await link.call(lambda stub: stub.OffsetCommit(request, timeout=15),
                             lambda answer: answer.error_code)
    if answer.error_code:
        raise error_for_code(answer.error_code, answer.error_message)
    for topic in answer.topics:
        for partition in topic.partitions:
            if partition.error_code:
                raise error_for_code(partition.error_code, partition.error_message)


async def fetch_committed(link: GroupLink, tps: Iterable[TopicPartition] | None = None
                          ) -> dict[TopicPartition, OffsetAndMetadata | None]:
    """Committed offsets (None where nothing is); every one of the group without `tps`."""
    wanted = None if tps is None else list(tps)
    request = group_pb2.OffsetFetchRequest(group_id=link.group_id, topics=[
        group_pb2.TopicPartitions(topic=t, partitions=ps)
        for t, ps in _by_topic(wanted or ()).items()])
    if wanted == []:
        return {}
    answer = await link.call(lambda stub: stub.OffsetFetch(request, timeout=15),
                             lambda answer: answer.error_code)
    if answer.error_code:
        error: KanalError = error_for_code(answer.error_code, answer.error_message)
        raise error
    found: dict[TopicPartition, OffsetAndMetadata | None] = dict.fromkeys(wanted or ())
    for topic in answer.topics:
        for p in topic.partitions:
            tp = TopicPartition(topic.topic, p.partition)
            found[tp] = (None if p.committed_offset < 0 else OffsetAndMetadata(
                p.committed_offset, p.committed_metadata, p.committed_leader_epoch))
    return found
