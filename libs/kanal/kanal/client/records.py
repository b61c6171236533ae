"""Values the SDK hands to users, shaped like kafka-python's so existing code keeps working."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from kanal.types import TopicPartition

Headers = Sequence[tuple[str, bytes]]

# ConsumerRecord.timestamp_type values (Kafka's): the producer's clock or the broker's.
CREATE_TIME = 0
LOG_APPEND_TIME = 1


class RecordMetadata(NamedTuple):
    """Where an acknowledged record landed. `offset` is -1 with acks=0 (nobody waits)."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    serialized_key_size: int
    serialized_value_size: int

    @property
    def topic_partition(self) -> TopicPartition:
        return TopicPartition(self.topic, self.partition)


class ConsumerRecord(NamedTuple):
    """One consumed record; key and value are what the deserializers returned."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    timestamp_type: int
    key: Any
    value: Any
    headers: Sequence[tuple[str, bytes | None]]
    serialized_key_size: int
    serialized_value_size: int


@dataclass(frozen=True, slots=True)
class NewTopic:
    """A topic to create. 0 partitions or replication factor means the cluster default;
    `replica_assignment[p]` pins partition p to brokers (then both counts must be 0)."""

    name: str
    num_partitions: int = 0
    replication_factor: int = 0
    topic_configs: Mapping[str, str] = field(default_factory=dict)
    replica_assignment: Sequence[Sequence[int]] = ()
