"""The consumer group's public shapes: options, committed offsets, the rebalance listener."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from kanal.errors import ConfigurationError
from kanal.types import TopicPartition

ASSIGNORS = ("uniform", "range")


class OffsetAndMetadata(NamedTuple):
    """A committed position (kafka-python's shape): the next offset to consume."""

    offset: int
    metadata: str = ""
    leader_epoch: int = -1


class ConsumerRebalanceListener(Protocol):
    """kafka-python's listener: both are called on the consumer's event loop, and may be
    coroutines (AIOConsumer). The sync Consumer calls them from its background thread, so
    they must not call the Consumer's blocking methods (commit it yourself from poll())."""

    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> Any: ...

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> Any: ...


async def notify(listener: ConsumerRebalanceListener | None, event: str,
                 partitions: Iterable[TopicPartition]) -> None:
    """Call `event` on the listener (awaiting it when it is a coroutine). Partitions lost
    through fencing go to `on_partitions_lost` when the listener has one, else to revoked."""
    if listener is None:
        return
    if event == "on_partitions_lost" and not hasattr(listener, event):
        event = "on_partitions_revoked"
    result = getattr(listener, event)(set(partitions))
    if inspect.isawaitable(result):
        await result


@dataclass(frozen=True, slots=True)
class GroupOptions:
    group_id: str
    instance_id: str | None = None
    """group_instance_id: a static member keeps its partitions across a restart."""
    remote_assignor: str | None = None
    """group_remote_assignor: "uniform" or "range" (None: the group's choice)."""
    session_timeout_ms: int = 45_000
    """The coordinator's own setting decides when it fences a silent member; the client uses
    this as how long it may fail to reach the coordinator before it drops its partitions."""
    rebalance_timeout_ms: int = 300_000
    """max_poll_interval_ms: how long a revocation may take before the member is fenced."""
    enable_auto_commit: bool = True
    auto_commit_interval_ms: int = 5_000


GROUP_KEYS = ("group_instance_id", "group_remote_assignor", "session_timeout_ms",
              "heartbeat_interval_ms", "max_poll_interval_ms")
"""Keywords the consumer takes out of its settings before ConsumerConfig sees them."""


def pop_group_keys(configs: dict[str, Any]) -> dict[str, Any]:
    return {key: configs.pop(key) for key in GROUP_KEYS if key in configs}


def group_options(group_id: str, keys: dict[str, Any], *, enable_auto_commit: bool,
                  auto_commit_interval_ms: int) -> GroupOptions:
    assignor = keys.get("group_remote_assignor")
    if assignor is not None and assignor not in ASSIGNORS:
        raise ConfigurationError(f"group_remote_assignor={assignor!r}: use one of {ASSIGNORS}")
    if not group_id:
        raise ConfigurationError("group_id must not be empty")
    if auto_commit_interval_ms < 1:
        raise ConfigurationError("auto_commit_interval_ms must be >= 1")
    # heartbeat_interval_ms is accepted and ignored: the coordinator sends the interval.
    return GroupOptions(
        group_id=group_id, instance_id=keys.get("group_instance_id"),
        remote_assignor=assignor,
        session_timeout_ms=int(keys.get("session_timeout_ms", 45_000)),
        rebalance_timeout_ms=int(keys.get("max_poll_interval_ms", 300_000)),
        enable_auto_commit=enable_auto_commit, auto_commit_interval_ms=auto_commit_interval_ms)


def as_offsets(offsets: Mapping[TopicPartition, OffsetAndMetadata | int]
               ) -> dict[TopicPartition, OffsetAndMetadata]:
    """commit()'s argument: OffsetAndMetadata values, or plain offsets."""
    return {TopicPartition(*tp): o if isinstance(o, OffsetAndMetadata) else OffsetAndMetadata(o)
            for tp, o in offsets.items()}
