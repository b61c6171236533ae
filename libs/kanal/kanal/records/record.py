"""One decoded record, as the consumer hands it to users.

A NamedTuple rather than a dataclass: the reader makes hundreds of thousands per second, and
`tuple.__new__` is the cheapest way CPython has to build an object with named fields.
"""

from __future__ import annotations

from typing import NamedTuple

from kanal.types import LeaderEpoch, Offset, TimestampMs

TIMESTAMP_CREATE_TIME = 0
"""The producer set the timestamp (Kafka's CreateTime)."""
TIMESTAMP_LOG_APPEND_TIME = 1
"""The broker set the timestamp when it appended the batch (Kafka's LogAppendTime)."""

Header = tuple[str, bytes | None]
Headers = tuple[Header, ...]


class Record(NamedTuple):
    """A record with the batch-level fields a consumer needs (offset, timestamp type, epoch)."""

    offset: Offset
    timestamp: TimestampMs
    """Milliseconds since the epoch; its meaning is given by `timestamp_type`."""
    key: bytes | None
    value: bytes | None
    headers: Headers = ()
    timestamp_type: int = TIMESTAMP_CREATE_TIME
    """TIMESTAMP_CREATE_TIME or TIMESTAMP_LOG_APPEND_TIME (from the batch attributes)."""
    leader_epoch: LeaderEpoch = LeaderEpoch(-1)
    """The partition leader epoch of the batch; -1 when unknown."""
