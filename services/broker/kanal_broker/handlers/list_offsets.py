"""ListOffsets: the log start, the high watermark, or the first offset at a timestamp."""

from __future__ import annotations

from kanal.errors import InvalidRequest
from kanal.types import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, MAX_TIMESTAMP, TopicPartition
from kanal.v1 import broker_pb2

from kanal_broker.handlers.outcome import partition_error, wire_code
from kanal_broker.partition import Partition
from kanal_broker.replica_manager import ReplicaManager

NO_TIMESTAMP = -1
NO_OFFSET = -1


class ListOffsetsHandler:
    def __init__(self, replicas: ReplicaManager) -> None:
        self._replicas = replicas

    async def list_offsets(self, request: broker_pb2.ListOffsetsRequest
                           ) -> broker_pb2.ListOffsetsResponse:
        if request.isolation_level not in (0, 1):
            raise InvalidRequest(f"isolation_level {request.isolation_level}: must be 0 or 1")
        response = broker_pb2.ListOffsetsResponse()
        for topic in request.topics:
            answers = [await self._one(TopicPartition(topic.topic, p.partition), p.timestamp)
                       for p in topic.partitions]
            response.topics.append(
                broker_pb2.ListOffsetsTopicResponse(topic=topic.topic, partitions=answers))
        return response

    async def _one(self, tp: TopicPartition,
                   timestamp: int) -> broker_pb2.ListOffsetsPartitionResponse:
        try:
            partition = self._replicas.leader(tp)
            offset, found_at = await _lookup(partition, timestamp)
            epoch = partition.leader_epoch()
        except Exception as exc:  # sorted by partition_error
            error = partition_error(exc)
            return broker_pb2.ListOffsetsPartitionResponse(
                partition=tp.partition, error_code=wire_code(error), error_message=error.message,
                timestamp=NO_TIMESTAMP, offset=NO_OFFSET, leader_epoch=-1)
        return broker_pb2.ListOffsetsPartitionResponse(
            partition=tp.partition, timestamp=found_at, offset=offset,
            leader_epoch=-1 if epoch is None else epoch)


async def _lookup(partition: Partition, timestamp: int) -> tuple[int, int]:
    """(offset, timestamp of the match); (-1, -1) when no record qualifies."""
    if timestamp == EARLIEST_TIMESTAMP:
        return partition.offsets.log_start_offset, NO_TIMESTAMP
    if timestamp == LATEST_TIMESTAMP:
        return partition.offsets.high_watermark, NO_TIMESTAMP
    if timestamp == MAX_TIMESTAMP:
        found = await partition.max_timestamp()
    elif timestamp < 0:
        raise InvalidRequest(f"timestamp {timestamp}: use -1, -2, -3 or a time in ms")
    else:
        found = await partition.offset_for_timestamp(timestamp)
    if found is None or found[0] >= partition.offsets.high_watermark:
        return NO_OFFSET, NO_TIMESTAMP
    return found
