"""What the sync and asyncio consumers share: the assignment (explicit, or every partition of
the subscribed topics), the fetch buffer and fetcher, offset lookups, and the metadata they
run on. It lives on one event loop; the FetchBuffer may be used from any thread."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable, Mapping

from kanal.client.config import ConsumerConfig
from kanal.client.connection import ConnectionPool
from kanal.client.fetch_buffer import FetchBuffer, reset_strategy
from kanal.client.fetcher import Fetcher
from kanal.client.metadata import ClusterMetadata, MetadataManager
from kanal.client.offsets import OffsetAndTimestamp, OffsetLookup
from kanal.errors import ConfigurationError, KanalError
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
    if config.group_id is not None:
        log.warning(
            "group_id=%r: consumer groups are not available yet; this consumer reads every "
            "partition of its topics and commits nothing", config.group_id,
        )


class ConsumerCore:
    def __init__(self, config: ConsumerConfig) -> None:
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

    def subscribe(self, topics: Iterable[str]) -> None:
        self.subscription = frozenset(topics)
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

    def _on_metadata(self, snapshot: ClusterMetadata) -> None:
        if self.subscription is not None:
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

    async def topics(self) -> set[str]:
        return {name for name, info in (await self.metadata.ask([])).topics.items()
                if not info.error_code}

    async def close(self) -> None:
        if self._lookup_timer is not None:
            self._lookup_timer.cancel()
        await self.fetcher.stop()
        await self.metadata.close()
        await self.pool.close()
