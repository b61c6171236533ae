"""What the sync and asyncio consumers share: the assignment (explicit, or every partition of
the subscribed topics), the fetch buffer and fetcher, offset lookups, and the metadata they
run on. It lives on one event loop; the FetchBuffer may be used from any thread."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kanal.client.config import ConsumerConfig
from kanal.client.connection import ConnectionPool
from kanal.client.fetch_buffer import FetchBuffer, reset_strategy
from kanal.client.fetcher import Fetcher
from kanal.client.group_link import GroupLink
from kanal.client.group_membership import GroupMembership
from kanal.client.group_types import ConsumerRebalanceListener, group_options
from kanal.client.metadata import ClusterMetadata, MetadataManager
from kanal.client.offsets import OffsetAndTimestamp, OffsetLookup
from kanal.errors import ConfigurationError, KanalError
from kanal.tracing.consumer import ConsumerTracing
from kanal.types import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, TopicPartition

log = logging.getLogger(__name__)

RESET_NAMES = ("earliest", "latest", "none", "smallest", "largest")


def validate(config: ConsumerConfig) -> None:
    if config.auto_offset_reset not in RESET_NAMES:
        raise ConfigurationError(
            f"auto_offset_reset={config.auto_offset_reset!r}: use earliest, latest or none"
        )
    if config.max_poll_records < 1 or config.max_partition_fetch_bytes < 1:
        raise ConfigurationError("max_poll_records and max_partition_fetch_bytes must be >= 1")


class ConsumerCore:
    def __init__(self, config: ConsumerConfig, group_keys: Mapping[str, Any] | None = None
                 ) -> None:
        validate(config)
        self.config = config
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        conn = config.connection
        self.pool = ConnectionPool(conn.client_id)
        self.metadata = MetadataManager(self.pool, conn)
        self.metadata.add_listener(self._on_metadata)
        self.buffer = FetchBuffer(
            reset_strategy(config.auto_offset_reset),
            config.key_deserializer,
            config.value_deserializer,
        )
        self.offsets = OffsetLookup(
            self.pool, self.metadata, conn.request_timeout_ms / 1000,
            (conn.retry_backoff_ms, conn.retry_backoff_max_ms), config.isolation_level,
        )
        self.fetcher = Fetcher(config, self.buffer, self.metadata, self.pool, self.offsets)
        self.data_event = asyncio.Event()
        self.buffer.add_listener(self._on_buffer_change)
        self.subscription: frozenset[str] | None = None
        self._lookup_timer: asyncio.TimerHandle | None = None
        self.pending_positions: Callable[[], dict[TopicPartition, int]] = dict
        """Positions of records handed out but not yet consumed (the sync iterator's)."""
        # None unless an OpenTelemetry SDK is installed (receive and process spans).
        self.tracing = ConsumerTracing.if_active(conn.client_id, config.group_id)
        self.group: GroupMembership | None = None
        if config.group_id is not None:
            options = group_options(
                config.group_id, dict(group_keys or {}),
                enable_auto_commit=config.enable_auto_commit,
                auto_commit_interval_ms=config.auto_commit_interval_ms)
            link = GroupLink(conn.bootstrap_servers, config.group_id,
                             timeout_s=options.session_timeout_ms / 1000)
            self.group = GroupMembership(link, options, self, client_id=conn.client_id)
        self.fetcher.start()
        self.metadata.start()

    def _on_loop(self, callback: Callable[[], None]) -> None:
        if threading.get_ident() == self._loop_thread:
            callback()
        elif not self._loop.is_closed():
            self._loop.call_soon_threadsafe(callback)

    def _on_buffer_change(self) -> None:
        self._on_loop(self._wake)

    def _wake(self) -> None:
        self.fetcher.wake()
        self.data_event.set()

    # ---- assignment (on the loop) ---------------------------------------------------------

    def subscribe(self, topics: Iterable[str], pattern: str | None = None,
                  listener: ConsumerRebalanceListener | None = None) -> None:
        self.subscription = frozenset(topics)
        if self.group is not None:  # the coordinator assigns
            if pattern is not None:
                self.metadata.want_all_topics()
            elif self.metadata.want_topics(self.subscription):
                self.metadata.request_update()
            self.group.subscribe(tuple(sorted(self.subscription)), pattern, listener)
            return
        if pattern is not None or listener is not None:
            raise ConfigurationError("pattern and listener need a group_id")
        self.metadata.want_topics(self.subscription)
        self._apply_subscription(self.metadata.snapshot)
        self.metadata.request_update()

    def unsubscribe(self) -> None:
        self.subscription = None
        self.buffer.assign(())

    def assign(self, tps: Iterable[TopicPartition]) -> None:
        tps = list(tps)
        self.subscription = None
        self.buffer.assign(tps)
        if self.metadata.want_topics({tp.topic for tp in tps}):
            self.metadata.request_update()

    async def unsubscribe_group(self) -> None:
        self.subscription = None
        if self.group is not None:
            await self.group.unsubscribe()
        self.buffer.assign(())

    # ---- the group's side (GroupMembership's AssignmentHost) ------------------------------

    def apply_group_assignment(self, tps: set[TopicPartition],
                               starts: Mapping[TopicPartition, int]) -> None:
        self.buffer.assign(tps)
        for tp, offset in starts.items():
            self.buffer.seek(tp, offset)
        if self.metadata.want_topics({tp.topic for tp in tps}):
            self.metadata.request_update()

    def freeze(self, tps: set[TopicPartition]) -> dict[TopicPartition, int]:
        """Stop handing out records of `tps` and return their positions, in one step: a
        drain in progress is discarded (new generation), so nothing is consumed past them."""
        positions: dict[TopicPartition, int] = {}
        with self.buffer.lock:
            for tp in tps:
                state = self.buffer.states.get(tp)
                if state is None:
                    continue
                state.paused = True
                state.generation += 1
                if state.position is not None:
                    positions[tp] = state.position
        positions.update({tp: p for tp, p in self.pending_positions().items() if tp in tps})
        return positions

    def consumed_positions(self) -> dict[TopicPartition, int]:
        with self.buffer.lock:
            positions = {tp: s.position for tp, s in self.buffer.states.items()
                         if s.position is not None}
        positions.update({tp: p for tp, p in self.pending_positions().items()
                          if tp in positions})
        return positions

    def _on_metadata(self, snapshot: ClusterMetadata) -> None:
        if self.subscription is not None and self.group is None:
            self._apply_subscription(snapshot)

    def _apply_subscription(self, snapshot: ClusterMetadata) -> None:
        assert self.subscription is not None
        wanted = {
            TopicPartition(topic, p)
            for topic in self.subscription
            for p in snapshot.partitions_for(topic) or ()
        }
        if wanted != self.buffer.assignment():
            self.buffer.assign(wanted)
        # A subscribed topic that does not exist yet is looked for again soon, not only at the
        # next metadata_max_age_ms.
        missing = any(snapshot.partitions_for(topic) is None for topic in self.subscription)
        if missing and self._lookup_timer is None:
            retry_s = self.config.connection.retry_backoff_max_ms / 1000
            self._lookup_timer = self._loop.call_later(retry_s, self._look_again)

    def _look_again(self) -> None:
        self._lookup_timer = None
        self.metadata.request_update()

    async def refresh_subscription(self) -> None:
        """One metadata refresh now, so a fresh subscription gets its partitions early."""
        if self.subscription is None:
            return
        try:
            await self.metadata.refresh()
        except KanalError as exc:
            log.debug("metadata refresh for the subscription failed: %s", exc)

    # ---- offsets (on the loop) ------------------------------------------------------------

    async def resolve_position(self, tp: TopicPartition, timeout_s: float) -> int:
        position = self.buffer.position(tp)
        if position is not None:
            return position
        strategy = self.buffer.states[tp].reset_to
        if strategy is None:
            raise ConfigurationError(
                f"{tp.topic}-{tp.partition} has no position and auto_offset_reset is 'none'"
            )
        generation = self.buffer.generation(tp)
        found = await self.offsets.lookup({tp: strategy}, timeout_s)
        answer = found.get(tp)
        self.buffer.reset_done(tp, generation, answer.offset if answer else 0)
        position = self.buffer.position(tp)
        return position if position is not None else (answer.offset if answer else 0)

    async def list_offsets(
        self, targets: Mapping[TopicPartition, int], timeout_s: float
    ) -> dict[TopicPartition, OffsetAndTimestamp | None]:
        return await self.offsets.lookup(targets, timeout_s)

    async def edge_offsets(
        self, tps: Iterable[TopicPartition], latest: bool, timeout_s: float
    ) -> dict[TopicPartition, int]:
        target = LATEST_TIMESTAMP if latest else EARLIEST_TIMESTAMP
        found = await self.offsets.lookup(dict.fromkeys(tps, target), timeout_s)
        return {tp: answer.offset if answer else 0 for tp, answer in found.items()}

    async def partitions_for_topic(self, topic: str, timeout_s: float) -> set[int] | None:
        try:
            return set(await self.metadata.wait_for_topic(topic, timeout_s))
        except KanalError:
            return None

    def group_or_fail(self) -> GroupMembership:
        if self.group is None:
            raise ConfigurationError("committing needs a group_id")
        return self.group

    async def topics(self) -> set[str]:
        return {name for name, info in (await self.metadata.ask([])).topics.items()
                if not info.error_code}

    async def close(self, *, autocommit: bool = True) -> None:
        if self.tracing is not None:
            self.tracing.process(None)  # the last record handed out is done with
        if self._lookup_timer is not None:
            self._lookup_timer.cancel()
        if self.group is not None:
            await self.group.close(commit=autocommit)
        await self.fetcher.stop()
        await self.metadata.close()
        await self.pool.close()
