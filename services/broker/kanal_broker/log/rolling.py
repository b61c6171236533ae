"""When the active segment is rolled and when the log is flushed.

A segment rolls when the next append would take it past segment.bytes, when one of its
indexes is full, or when the append's offsets would not fit the index's int32 relative
offsets. For segment.ms, an append compares record time with record time as Kafka does (the
incoming batch's timestamp against the segment's first batch's, so producers with old
timestamps do not roll a segment per batch); the periodic check, and segments without
timestamps, use the broker's clock since the segment was created, as Redpanda does. An empty
segment never rolls. Flushing (fsync) is left to replication unless flush.messages or flush.ms
ask for it.
"""

from __future__ import annotations

from kanal.topic_config import TopicConfig

from kanal_broker.log.segment import MAX_RELATIVE_OFFSET, Segment

# Index entries store file positions as int32, so a segment stays below 2 GiB (as in Kafka,
# whose segment.bytes is an int).
MAX_SEGMENT_BYTES = 2**31 - 1


def roll_due(
    active: Segment,
    config: TopicConfig,
    now_ms: int,
    *,
    incoming_bytes: int = 0,
    last_offset: int | None = None,
    incoming_timestamp: int | None = None,
) -> bool:
    if active.is_empty:
        return False
    return (
        active.size + incoming_bytes > min(config.segment_bytes, MAX_SEGMENT_BYTES)
        or _too_old(active, config, now_ms, incoming_timestamp)
        or active.indexes_full
        or (last_offset is not None and last_offset - active.base_offset > MAX_RELATIVE_OFFSET)
    )


def _too_old(
    active: Segment, config: TopicConfig, now_ms: int, incoming_timestamp: int | None
) -> bool:
    if now_ms - active.created_ms > config.segment_ms:
        return True
    first = active.first_batch_timestamp()
    if incoming_timestamp is None or first is None or first < 0:
        return False
    return incoming_timestamp - first > config.segment_ms


def flush_due(unflushed_records: int, last_flush_ms: int, config: TopicConfig, now_ms: int) -> bool:
    return unflushed_records > 0 and (
        unflushed_records >= config.flush_messages or now_ms - last_flush_ms >= config.flush_ms
    )
