"""Names for numbers that mean different things.

Offsets, epochs and ids are all ints on the wire; these NewTypes keep a leader epoch from being
passed where an offset is expected. Frozen dataclasses carry values across module lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, NewType

Offset = NewType("Offset", int)
LeaderEpoch = NewType("LeaderEpoch", int)
PartitionEpoch = NewType("PartitionEpoch", int)
BrokerId = NewType("BrokerId", int)
PartitionId = NewType("PartitionId", int)
ProducerId = NewType("ProducerId", int)
TimestampMs = NewType("TimestampMs", int)

NO_LEADER = BrokerId(-1)

# ListOffsets timestamp sentinels (Kafka's).
LATEST_TIMESTAMP = -1
EARLIEST_TIMESTAMP = -2
MAX_TIMESTAMP = -3

ACKS_NONE = 0
ACKS_LEADER = 1
ACKS_ALL = -1


class TopicPartition(NamedTuple):
    """A partition of a topic; hashable, ordered, and shaped like kafka-python's."""

    topic: str
    partition: int


@dataclass(frozen=True, slots=True)
class HostPort:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    @classmethod
    def parse(cls, text: str, default_port: int = 9091) -> HostPort:
        """Parse `host:port`, `host`, or `[v6]:port`."""
        text = text.strip()
        if text.startswith("["):
            host, _, rest = text[1:].partition("]")
            port = int(rest[1:]) if rest.startswith(":") else default_port
            return cls(host, port)
        host, sep, port_text = text.rpartition(":")
        if not sep:
            return cls(text, default_port)
        return cls(host, int(port_text))
