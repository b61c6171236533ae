"""Typed client settings, built from kafka-python style keyword arguments.

Each public client takes the keywords users know (`bootstrap_servers`, `acks`, `linger_ms`, ...)
and turns them into one of these frozen dataclasses at its edge; the layers below only see the
typed values. Unknown keywords raise ConfigurationError, as kafka-python refuses them too.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kanal.errors import ConfigurationError
from kanal.types import ACKS_ALL, ACKS_LEADER, ACKS_NONE, HostPort

DEFAULT_BOOTSTRAP = "localhost:9091"
MiB = 1024 * 1024

Serializer = Callable[[Any], bytes | None]
Deserializer = Callable[[bytes], Any]
# kafka-python's partitioner signature: (key_bytes, all_partitions, available_partitions).
Partitioner = Callable[[bytes | None, Sequence[int], Sequence[int]], int]

_C = TypeVar("_C")


def parse_bootstrap(servers: str | Sequence[str]) -> tuple[HostPort, ...]:
    """`"h:p,h:p"` or `["h:p", ...]` into endpoints (port 9091 when omitted)."""
    items = servers.split(",") if isinstance(servers, str) else list(servers)
    endpoints = tuple(HostPort.parse(item) for item in items if item.strip())
    if not endpoints:
        raise ConfigurationError("bootstrap_servers lists no server")
    return endpoints


def parse_acks(acks: int | str) -> int:
    """0, 1, or -1 / "all" (Kafka's spellings) into the wire value."""
    if isinstance(acks, str):
        if acks.lower() == "all":
            return ACKS_ALL
        try:
            acks = int(acks)
        except ValueError:
            raise ConfigurationError(f"acks={acks!r}: use 0, 1 or 'all'") from None
    if acks not in (ACKS_NONE, ACKS_LEADER, ACKS_ALL):
        raise ConfigurationError(f"acks={acks!r}: use 0, 1 or 'all'")
    return acks


@dataclass(frozen=True, slots=True)
class ConnectionConfig:
    """How every client reaches the cluster."""

    bootstrap_servers: tuple[HostPort, ...] = parse_bootstrap(DEFAULT_BOOTSTRAP)
    """Any brokers of the cluster; the rest are learned from Metadata answers."""
    client_id: str = "kanal-python"
    """Shown in broker logs and request metadata."""
    request_timeout_ms: int = 30_000
    """Deadline of one RPC (Produce, Fetch waits longer by fetch_max_wait_ms)."""
    retry_backoff_ms: int = 100
    """First pause before a retry; doubles up to retry_backoff_max_ms."""
    retry_backoff_max_ms: int = 1_000
    metadata_max_age_ms: int = 300_000
    """Refresh the metadata at least this often even without errors."""


@dataclass(frozen=True, slots=True)
class ProducerConfig:
    connection: ConnectionConfig = field(default_factory=ConnectionConfig)
    key_serializer: Serializer | None = None
    value_serializer: Serializer | None = None
    acks: int = ACKS_ALL
    """0: fire and forget, 1: the leader appended, -1: the in-sync replicas have it."""
    retries: int = 2_147_483_647
    """Resends of a batch after retriable errors, bounded by delivery_timeout_ms."""
    delivery_timeout_ms: int = 120_000
    """Upper bound from send() to success or failure, retries included."""
    linger_ms: int = 5
    """How long a batch waits for more records before it is sent anyway."""
    batch_size: int = 16_384
    """Bytes per partition batch; a full batch is sent at once."""
    max_request_size: int = MiB
    """Largest record accepted, and bound on the batches of one partition per request."""
    buffer_memory: int = 32 * MiB
    """Bytes of unsent batches; send() blocks up to max_block_ms when they are all in use."""
    max_block_ms: int = 60_000
    """How long send() may block for buffer space or for a topic's metadata."""
    compression_type: str | None = None
    partitioner: Partitioner | None = None
    """None: Kafka's default (murmur2 of the key, sticky for keyless records)."""
    enable_idempotence: bool | None = None
    """On, the producer gets a producer id and numbers its batches, so the broker stores a
    retried batch once; it needs acks="all", retries >= 1 and
    max_in_flight_requests_per_connection <= 5. None (the default): on unless one of those
    settings conflicts, as in Kafka 3.2+."""
    max_in_flight_requests_per_connection: int = 5
    """Produce requests outstanding per broker. A partition never has more than one, so
    retries cannot reorder its records (see accumulator.py)."""


@dataclass(frozen=True, slots=True)
class ConsumerConfig:
    connection: ConnectionConfig = field(default_factory=ConnectionConfig)
    group_id: str | None = None
    """Accepted; group membership arrives with the group coordinator. Until then a consumer
    with topics reads every partition of them."""
    key_deserializer: Deserializer | None = None
    value_deserializer: Deserializer | None = None
    auto_offset_reset: str = "latest"
    """Where to start without a position, or after OffsetOutOfRange: earliest, latest, none."""
    enable_auto_commit: bool = True
    auto_commit_interval_ms: int = 5_000
    fetch_min_bytes: int = 1
    fetch_max_wait_ms: int = 500
    fetch_max_bytes: int = 50 * MiB
    max_partition_fetch_bytes: int = MiB
    max_poll_records: int = 500
    consumer_timeout_ms: float = math.inf
    """Iteration stops after this long without records (kafka-python semantics)."""
    isolation_level: int = 0
    """0 read_uncommitted, 1 read_committed."""


@dataclass(frozen=True, slots=True)
class AdminConfig:
    connection: ConnectionConfig = field(default_factory=ConnectionConfig)


_CONNECTION_KEYS = frozenset(f.name for f in dataclasses.fields(ConnectionConfig))
# Accepted for compatibility and ignored: they only tune kafka-python's own socket layer.
_IGNORED_KEYS = frozenset({"api_version", "api_version_auto_timeout_ms", "security_protocol",
                           "connections_max_idle_ms", "send_buffer_bytes",
                           "receive_buffer_bytes", "reconnect_backoff_ms",
                           "reconnect_backoff_max_ms", "session_timeout_ms",
                           "heartbeat_interval_ms", "max_poll_interval_ms"})


def build_config(kind: type[_C], options: dict[str, Any]) -> _C:
    """`kind` from kafka-python style keywords (connection keys may come flat)."""
    options = dict(options)
    connection: dict[str, Any] = {}
    for key in list(options):
        if key in _CONNECTION_KEYS:
            connection[key] = options.pop(key)
        elif key in _IGNORED_KEYS:
            options.pop(key)
    if "bootstrap_servers" in connection:
        connection["bootstrap_servers"] = parse_bootstrap(connection["bootstrap_servers"])
    if "acks" in options:
        options["acks"] = parse_acks(options["acks"])
    if "isolation_level" in options and isinstance(options["isolation_level"], str):
        options["isolation_level"] = _parse_isolation(options["isolation_level"])
    if options.get("consumer_timeout_ms") is None and "consumer_timeout_ms" in options:
        options["consumer_timeout_ms"] = math.inf
    known = {f.name for f in dataclasses.fields(kind)}  # type: ignore[arg-type]
    unknown = sorted(set(options) - known)
    if unknown:
        raise ConfigurationError(f"unknown {kind.__name__} settings: {', '.join(unknown)}")
    factory: Callable[..., _C] = kind
    return factory(connection=ConnectionConfig(**connection), **options)


def _parse_isolation(level: str) -> int:
    levels = {"read_uncommitted": 0, "read_committed": 1}
    if level not in levels:
        raise ConfigurationError(f"isolation_level={level!r}: use one of {sorted(levels)}")
    return levels[level]
