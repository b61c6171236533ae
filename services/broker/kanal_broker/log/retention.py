"""Which old segments retention deletes (cleanup.policy=delete), as Kafka decides it.

Only whole closed segments go, oldest first, and never one holding offsets at or above the
high watermark (consumers could not have read them yet) nor the active segment. A segment
goes when any of these holds, and deletion stops at the first segment that qualifies for none:
- its records all lie below the log start offset (after DeleteRecords or truncation);
- retention.ms: its largest timestamp is older than now - retention.ms;
- retention.bytes: the partition stays at or above retention.bytes without it.
"""

from __future__ import annotations

from kanal.topic_config import TopicConfig

from kanal_broker.log.segment import Segment
from kanal_broker.log.segment_set import SegmentSet


def expired_segments(
    segments: SegmentSet,
    config: TopicConfig,
    *,
    now_ms: int,
    high_watermark: int,
    log_start_offset: int,
) -> list[Segment]:
    doomed: list[Segment] = []
    remaining_bytes = segments.size_bytes
    for segment in segments.closed:
        upper = segments.upper_bound(segment)
        if upper > high_watermark:
            break
        below_start = upper <= log_start_offset
        too_old = (
            config.delete
            and config.retention_ms >= 0
            and now_ms - segment.max_timestamp > config.retention_ms
        )
        too_big = (
            config.delete
            and config.retention_bytes >= 0
            and remaining_bytes - segment.size >= config.retention_bytes
        )
        if not (below_start or too_old or too_big):
            break
        doomed.append(segment)
        remaining_bytes -= segment.size
    return doomed
