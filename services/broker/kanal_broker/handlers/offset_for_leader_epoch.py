"""OffsetForLeaderEpoch: where an epoch ended in the leader's log (Kafka's semantics).

Answered by the leader only, after the same epoch fencing as Fetch: a follower that names an
older leader epoch is told FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH (this leader
has not seen its own election yet; the follower retries).
"""

from __future__ import annotations

from kanal.types import TopicPartition
from kanal.v1 import broker_pb2

from kanal_broker.handlers.fetch import check_epoch
from kanal_broker.handlers.outcome import partition_error, wire_code
from kanal_broker.replica_manager import ReplicaManager


class OffsetForLeaderEpochHandler:
    def __init__(self, replicas: ReplicaManager) -> None:
        self._replicas = replicas

    async def answer(self, request: broker_pb2.OffsetForLeaderEpochRequest,
                     ) -> broker_pb2.OffsetForLeaderEpochResponse:
        response = broker_pb2.OffsetForLeaderEpochResponse()
        for topic in request.topics:
            results = response.topics.add(topic=topic.topic)
            for asked in topic.partitions:
                results.partitions.append(await self._one(topic.topic, asked))
        return response

    async def _one(self, topic: str, asked: broker_pb2.OffsetForLeaderEpochPartition,
                   ) -> broker_pb2.EpochEndOffset:
        result = broker_pb2.EpochEndOffset(partition=asked.partition, leader_epoch=-1,
                                           end_offset=-1)
        try:
            partition = self._replicas.leader(TopicPartition(topic, asked.partition))
            check_epoch(partition, asked.current_leader_epoch)
            result.leader_epoch, result.end_offset = await partition.end_offset_for_epoch(
                asked.leader_epoch)
        except Exception as exc:  # sorted by partition_error
            error = partition_error(exc)
            result.error_code = wire_code(error)
            result.error_message = error.message
        return result
