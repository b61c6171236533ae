"""Settings of the group coordinator, with Kafka's names and defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

from kanal_broker.groups.partitioning import DEFAULT_OFFSETS_PARTITIONS

UNIFORM_ASSIGNOR = "uniform"
RANGE_ASSIGNOR = "range"


@dataclass(frozen=True, slots=True)
class GroupCoordinatorConfig:
    offsets_partitions: int = DEFAULT_OFFSETS_PARTITIONS
    """offsets.topic.num.partitions: partitions of `__consumer_offsets`."""

    session_timeout_ms: int = 45_000
    """group.consumer.session.timeout.ms: a member silent this long is fenced."""

    heartbeat_interval_ms: int = 5_000
    """group.consumer.heartbeat.interval.ms: told to members in every heartbeat answer."""

    reconciling_heartbeat_interval_ms: int = 200
    """Told instead to a member whose assignment is not its target yet (it waits for others
    to release partitions), so it picks them up promptly."""

    default_rebalance_timeout_ms: int = 300_000
    """Used when a member sends rebalance_timeout_ms <= 0 (Kafka's max.poll.interval.ms)."""

    max_group_size: int = 2**31 - 1
    """group.consumer.max.size: GROUP_MAX_SIZE_REACHED beyond it."""

    assignors: tuple[str, ...] = field(default=(UNIFORM_ASSIGNOR, RANGE_ASSIGNOR))
    """group.consumer.assignors: the first is the default for groups that name none."""

    offsets_retention_ms: int = 7 * 24 * 60 * 60 * 1000
    """offsets.retention.minutes (as ms): how long an empty group's offsets are kept."""

    offset_metadata_max_bytes: int = 4096
    """offset.metadata.max.bytes: longer commit metadata gets OFFSET_METADATA_TOO_LARGE."""

    max_group_id_bytes: int = 249
    """Group ids longer than this (UTF-8) are INVALID_GROUP_ID, like topic names."""

    initial_rebalance_delay_ms: int = 3_000
    """group.initial.rebalance.delay.ms: the first rebalance of an empty classic group waits
    this long for more members (each newcomer extends it, up to the rebalance timeout)."""

    min_session_timeout_ms: int = 6_000
    """group.min.session.timeout.ms: classic members asking for less get INVALID_SESSION_TIMEOUT."""

    max_session_timeout_ms: int = 1_800_000
    """group.max.session.timeout.ms: classic members asking for more get INVALID_SESSION_TIMEOUT."""
