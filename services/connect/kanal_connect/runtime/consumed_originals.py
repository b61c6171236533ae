"""The consumed records a sink task may still report to the dead letter queue, kept as the
lists the consumer returned (one per partition and poll) until the task is done with them.

Kept per list, not per record: a record-keyed map cost a tuple and an insert per record on
the sink's hot path, and a scan of every key at each commit, to serve lookups that happen
only when a record is refused.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Mapping, Sequence

from kanal.client.records import ConsumerRecord
from kanal.types import TopicPartition


class ConsumedOriginals:
    def __init__(self) -> None:
        self._kept: dict[tuple[str, int], deque[Sequence[ConsumerRecord]]] = {}

    def keep(self, tp: TopicPartition, records: Sequence[ConsumerRecord]) -> None:
        """`records`: one poll's records of `tp`, in offset order."""
        if records:
            self._kept.setdefault((tp.topic, tp.partition), deque()).append(records)

    def get(self, key: tuple[str, int, int]) -> ConsumerRecord | None:
        """The kept record at (topic, partition, offset), if any."""
        topic, partition, offset = key
        for records in self._kept.get((topic, partition), ()):
            if records[0].offset <= offset <= records[-1].offset:
                at = bisect.bisect_left(records, offset, key=lambda r: r.offset)
                if at < len(records) and records[at].offset == offset:
                    return records[at]
        return None

    def forget(self, done: Mapping[TopicPartition, int]) -> None:
        """Drop whole lists below the offset the task finished with, per partition."""
        for tp, limit in done.items():
            lists = self._kept.get((tp.topic, tp.partition))
            while lists and lists[0][-1].offset < limit:
                lists.popleft()
            if lists is not None and not lists:
                del self._kept[(tp.topic, tp.partition)]
