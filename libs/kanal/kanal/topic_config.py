"""Topic names and topic configuration: what is known, its type, default and valid range.

The controller validates with this table before it writes; the broker reads effective values
from it; the CLI lists it. Names and defaults follow Kafka's so that habits carry over.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kanal.errors import InvalidConfig, InvalidTopic

MAX_TOPIC_NAME_LENGTH = 249
_LEGAL_TOPIC_NAME = re.compile(r"^[a-zA-Z0-9._-]+$")
INTERNAL_TOPICS = frozenset({"__consumer_offsets", "__transaction_state", "_schemas"})


def validate_topic_name(name: str) -> None:
    """Raise InvalidTopic unless `name` follows Kafka's rules."""
    if not name:
        raise InvalidTopic("topic name is empty")
    if name in (".", ".."):
        raise InvalidTopic(f"topic name cannot be {name!r}")
    if len(name) > MAX_TOPIC_NAME_LENGTH:
        raise InvalidTopic(
            f"topic name is {len(name)} characters long; the limit is {MAX_TOPIC_NAME_LENGTH}"
        )
    if not _LEGAL_TOPIC_NAME.match(name):
        raise InvalidTopic(
            f"topic name {name!r} has characters other than ASCII letters, digits, '.', '_', '-'"
        )


def collides(a: str, b: str) -> bool:
    """Kafka refuses topics whose names differ only by '.' versus '_' (metric names clash)."""
    return a != b and a.replace(".", "_") == b.replace(".", "_")


@dataclass(frozen=True, slots=True)
class ConfigDef:
    name: str
    kind: type  # int, bool, str, float
    default: str
    doc: str
    minimum: float | None = None
    choices: tuple[str, ...] = ()
    check: Callable[[str], None] | None = None

    def parse(self, raw: str) -> int | bool | str | float:
        """The typed value of `raw`, or InvalidConfig saying why not."""
        raw = raw.strip()
        try:
            value: int | bool | str | float
            if self.kind is bool:
                if raw.lower() not in ("true", "false"):
                    raise ValueError("expected true or false")
                value = raw.lower() == "true"
            elif self.kind is int:
                value = int(raw)
            elif self.kind is float:
                value = float(raw)
            else:
                value = raw
        except ValueError as exc:
            raise InvalidConfig(
                f"{self.name}={raw!r}: not a valid {self.kind.__name__} ({exc})"
            ) from exc
        if self.minimum is not None and isinstance(value, int | float) and value < self.minimum:
            raise InvalidConfig(f"{self.name}={raw}: must be >= {self.minimum:g}")
        if self.choices:
            parts = [p.strip() for p in str(value).split(",")]
            bad = [p for p in parts if p not in self.choices]
            if bad or not parts:
                raise InvalidConfig(f"{self.name}={raw!r}: must be one of {list(self.choices)}")
        return value


_DAY_MS = 24 * 3600 * 1000

TOPIC_CONFIGS: dict[str, ConfigDef] = {
    c.name: c
    for c in (
        ConfigDef("cleanup.policy", str, "delete",
                  "delete (retention by time/size), compact (latest value per key), or both",
                  choices=("delete", "compact")),
        ConfigDef("retention.ms", int, str(7 * _DAY_MS),
                  "how long a closed segment is kept; -1 keeps forever", minimum=-1),
        ConfigDef("retention.bytes", int, "-1",
                  "size a partition's log may reach before old segments go; -1 no limit",
                  minimum=-1),
        ConfigDef("segment.bytes", int, str(1024 * 1024 * 1024),
                  "a segment is rolled once it reaches this size", minimum=14),
        ConfigDef("segment.ms", int, str(7 * _DAY_MS),
                  "a segment is rolled once its first record is this old", minimum=1),
        ConfigDef("segment.index.bytes", int, str(10 * 1024 * 1024),
                  "the largest offset/time index file of one segment", minimum=4096),
        ConfigDef("index.interval.bytes", int, "4096",
                  "bytes of log between two sparse index entries", minimum=0),
        ConfigDef("max.message.bytes", int, str(1024 * 1024 + 12),
                  "the largest record batch the broker accepts for this topic", minimum=0),
        ConfigDef("message.timestamp.type", str, "CreateTime",
                  "CreateTime keeps the producer's timestamp; LogAppendTime uses the broker's",
                  choices=("CreateTime", "LogAppendTime")),
        ConfigDef("min.insync.replicas", int, "1",
                  "in-sync replicas needed to accept an acks=all write", minimum=1),
        ConfigDef("unclean.leader.election.enable", bool, "false",
                  "allow an out-of-sync replica to become leader (can lose data)"),
        ConfigDef("delete.retention.ms", int, str(_DAY_MS),
                  "how long tombstones stay in a compacted log", minimum=0),
        ConfigDef("min.compaction.lag.ms", int, "0",
                  "a record is not compacted until it is at least this old", minimum=0),
        ConfigDef("min.cleanable.dirty.ratio", float, "0.5",
                  "the share of uncompacted log that triggers the cleaner", minimum=0),
        ConfigDef("file.delete.delay.ms", int, "60000",
                  "how long a deleted segment file waits before it is removed", minimum=0),
        ConfigDef("flush.messages", int, str(2**63 - 1),
                  "fsync after this many messages (default: leave it to the OS and replication)",
                  minimum=1),
        ConfigDef("flush.ms", int, str(2**63 - 1),
                  "fsync after this many milliseconds", minimum=0),
    )
}


def validate_topic_configs(configs: Mapping[str, str]) -> dict[str, str]:
    """Check every name and value; return them normalised (values stripped)."""
    out: dict[str, str] = {}
    for name, raw in configs.items():
        definition = TOPIC_CONFIGS.get(name)
        if definition is None:
            raise InvalidConfig(f"unknown topic config {name!r}")
        definition.parse(raw)
        out[name] = raw.strip()
    return out


@dataclass(frozen=True, slots=True)
class TopicConfig:
    """The effective, typed configuration of one topic (overrides over defaults)."""

    cleanup_policy: frozenset[str]
    retention_ms: int
    retention_bytes: int
    segment_bytes: int
    segment_ms: int
    segment_index_bytes: int
    index_interval_bytes: int
    max_message_bytes: int
    log_append_time: bool
    min_insync_replicas: int
    unclean_leader_election: bool
    delete_retention_ms: int
    min_compaction_lag_ms: int
    min_cleanable_dirty_ratio: float
    file_delete_delay_ms: int
    flush_messages: int
    flush_ms: int

    @property
    def compact(self) -> bool:
        return "compact" in self.cleanup_policy

    @property
    def delete(self) -> bool:
        return "delete" in self.cleanup_policy

    @classmethod
    def resolve(cls, overrides: Mapping[str, str],
                defaults: Mapping[str, str] | None = None) -> TopicConfig:
        """Topic overrides, then broker-level defaults, then Kafka's defaults."""

        def get(name: str) -> int | bool | str | float:
            definition = TOPIC_CONFIGS[name]
            raw = overrides.get(name, (defaults or {}).get(name, definition.default))
            return definition.parse(raw)

        return cls(
            cleanup_policy=frozenset(p.strip() for p in str(get("cleanup.policy")).split(",")),
            retention_ms=int(get("retention.ms")),
            retention_bytes=int(get("retention.bytes")),
            segment_bytes=int(get("segment.bytes")),
            segment_ms=int(get("segment.ms")),
            segment_index_bytes=int(get("segment.index.bytes")),
            index_interval_bytes=int(get("index.interval.bytes")),
            max_message_bytes=int(get("max.message.bytes")),
            log_append_time=get("message.timestamp.type") == "LogAppendTime",
            min_insync_replicas=int(get("min.insync.replicas")),
            unclean_leader_election=bool(get("unclean.leader.election.enable")),
            delete_retention_ms=int(get("delete.retention.ms")),
            min_compaction_lag_ms=int(get("min.compaction.lag.ms")),
            min_cleanable_dirty_ratio=float(get("min.cleanable.dirty.ratio")),
            file_delete_delay_ms=int(get("file.delete.delay.ms")),
            flush_messages=int(get("flush.messages")),
            flush_ms=int(get("flush.ms")),
        )
