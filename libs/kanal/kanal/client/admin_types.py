"""What the admin client takes and returns (kafka-python's names where it has them)."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kanal.errors import KanalError
from kanal.types import HostPort


class ConfigResourceType(enum.IntEnum):
    """Kafka's ConfigResource type numbers."""

    TOPIC = 2
    BROKER = 4


@dataclass(frozen=True, slots=True)
class ConfigResource:
    """Configs to change on a topic or broker: `configs` are set, `delete` return to their
    defaults (an incremental alter, as Kafka's IncrementalAlterConfigs)."""

    resource_type: ConfigResourceType
    name: str
    configs: Mapping[str, str] = field(default_factory=dict)
    delete: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class TopicResult:
    """The outcome of creating or deleting one topic; `error` is None on success."""

    name: str
    error: KanalError | None
    topic_id: str = ""


@dataclass(frozen=True, slots=True)
class ConfigResult:
    resource_type: ConfigResourceType
    name: str
    error: KanalError | None


@dataclass(frozen=True, slots=True)
class PartitionDescription:
    partition: int
    leader: int
    leader_epoch: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    partition_epoch: int


@dataclass(frozen=True, slots=True)
class TopicDescription:
    name: str
    topic_id: str
    is_internal: bool
    partitions: tuple[PartitionDescription, ...]
    configs: dict[str, str]
    """Only the configs set on the topic; the rest take their defaults."""


@dataclass(frozen=True, slots=True)
class BrokerDescription:
    broker_id: int
    endpoint: HostPort
    rack: str | None


@dataclass(frozen=True, slots=True)
class ControllerDescription:
    controller_id: str
    endpoint: HostPort
    controller_epoch: int


@dataclass(frozen=True, slots=True)
class ClusterDescription:
    cluster_id: str
    controller: ControllerDescription | None
    """The active controller (None while an election runs)."""
    brokers: tuple[BrokerDescription, ...]
    controllers: tuple[ControllerDescription, ...]
