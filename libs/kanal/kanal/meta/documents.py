"""The JSON documents stored under the etcd layout (see `layout.py`).

Each is a frozen dataclass with `to_json` / `from_json`; unknown fields are ignored on read so
that a newer writer does not break an older reader during a rolling upgrade.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Self

from kanal.errors import InvalidRequest
from kanal.types import NO_LEADER


class _Document:
    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True).encode()  # type: ignore[call-overload]

    @classmethod
    def from_json(cls, raw: bytes | str) -> Self:
        try:
            data: dict[str, Any] = json.loads(raw)
        except ValueError as exc:
            raise InvalidRequest(f"{cls.__name__}: not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise InvalidRequest(f"{cls.__name__}: not a JSON object")
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except TypeError as exc:  # a required field is missing
            raise InvalidRequest(f"{cls.__name__}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class BrokerRegistration(_Document):
    broker_id: int
    host: str
    port: int
    rack: str = ""
    metrics_port: int = 0
    # A fresh random value each time the process starts: lets the controller tell a broker
    # that restarted (and may have lost unflushed data) from one that kept its session.
    incarnation: str = ""


@dataclass(frozen=True, slots=True)
class ControllerLease(_Document):
    controller_id: str
    host: str
    port: int
    metrics_port: int = 0


@dataclass(frozen=True, slots=True)
class TopicSpec(_Document):
    name: str
    topic_id: str
    # assignment[p] = partition p's replicas, preferred leader first.
    assignment: list[list[int]]
    configs: dict[str, str] = field(default_factory=dict)
    internal: bool = False

    @property
    def num_partitions(self) -> int:
        return len(self.assignment)

    @property
    def replication_factor(self) -> int:
        return len(self.assignment[0]) if self.assignment else 0


@dataclass(frozen=True, slots=True)
class PartitionState(_Document):
    leader: int
    leader_epoch: int
    isr: list[int]
    # Grows with every change of this document; AlterPartition requests carry the epoch
    # they were based on so that stale ones are refused.
    partition_epoch: int = 0
    # A reassignment in progress (Kafka's KIP-455): the topic's assignment holds the target
    # replicas followed by `removing_replicas`; those leave once every one of
    # `adding_replicas` is in the ISR. Both empty when the partition is not moving.
    adding_replicas: list[int] = field(default_factory=list)
    removing_replicas: list[int] = field(default_factory=list)
    # Bytes/s the adding replicas may fetch at (the follower replication throttle); 0: none.
    reassignment_throttle: int = 0

    @property
    def reassigning(self) -> bool:
        return bool(self.adding_replicas or self.removing_replicas)

    @property
    def online(self) -> bool:
        return self.leader != NO_LEADER
