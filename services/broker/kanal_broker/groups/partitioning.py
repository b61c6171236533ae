"""Which `__consumer_offsets` partition holds a group, exactly as Kafka computes it.

Kafka: `Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions`, where `hashCode` is
Java's `String.hashCode` (s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, int32
wrap-around) and `Utils.abs(Integer.MIN_VALUE)` is 0. Matching it keeps a group on the same
partition number a Kafka cluster would pick, which matters to tools that read the topic.
"""

from __future__ import annotations

DEFAULT_OFFSETS_PARTITIONS = 50
_INT32_MIN = -(2**31)


def java_string_hash(text: str) -> int:
    """Java's `String.hashCode()`: a signed 32-bit int."""
    units = text.encode("utf-16-be")
    value = 0
    for index in range(0, len(units), 2):
        value = (value * 31 + (units[index] << 8 | units[index + 1])) & 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def _kafka_abs(value: int) -> int:
    return 0 if value == _INT32_MIN else abs(value)


def offsets_partition_for(group_id: str, partition_count: int = DEFAULT_OFFSETS_PARTITIONS) -> int:
    """The `__consumer_offsets` partition whose leader coordinates `group_id`."""
    if partition_count <= 0:
        raise ValueError(f"partition_count must be positive, got {partition_count}")
    return _kafka_abs(java_string_hash(group_id)) % partition_count
