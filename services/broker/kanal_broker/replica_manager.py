"""Which partitions live on this broker, and whether it leads them.

Follows the metadata cache: a partition whose topic assigns it to this broker gets a log
under `<data-dir>/<topic>-<partition>/` (Kafka's directory naming); one that stops being
assigned here, or whose topic is deleted (or re-created with a new id), is closed and its
directory deleted. Leadership comes from the partition's state in etcd and from holding the
registration lease (see `Partition.apply_state` and `lease_lost`).

Also owns the periodic log work: retention, rolling and compaction, and flushing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from kanal.errors import KanalError, NotLeaderForPartition, UnknownTopicOrPartition
from kanal.meta.documents import TopicSpec
from kanal.topic_config import TOPIC_CONFIGS, TopicConfig
from kanal.types import TopicPartition

from kanal_broker.log import Log
from kanal_broker.metadata_cache import MetadataCache
from kanal_broker.metrics import BrokerMetrics
from kanal_broker.partition import Partition
from kanal_broker.partition_metadata import claim_directory
from kanal_broker.registration import Registration
from kanal_broker.settings import BrokerSettings

log = logging.getLogger(__name__)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def effective_config(spec: TopicSpec, broker_defaults: Mapping[str, str]) -> TopicConfig:
    """The topic's overrides over the broker-level defaults over Kafka's. A value this
    version cannot read is skipped (and logged) rather than making the partition unavailable."""
    return TopicConfig.resolve(_readable(spec.configs, f"topic {spec.name}"),
                               _readable(broker_defaults, "broker config"))


def _readable(configs: Mapping[str, str], where: str) -> dict[str, str]:
    usable: dict[str, str] = {}
    for name, raw in configs.items():
        definition = TOPIC_CONFIGS.get(name)
        try:
            if definition is None:
                raise KanalError(f"unknown config {name}")
            definition.parse(raw)
        except KanalError as exc:
            log.error("%s: ignoring config %s=%r: %s", where, name, raw, exc)
            continue
        usable[name] = raw
    return usable


class ReplicaManager:
    def __init__(self, settings: BrokerSettings, cache: MetadataCache,
                 registration: Registration, metrics: BrokerMetrics,
                 executor: concurrent.futures.Executor) -> None:
        self._settings = settings
        self._broker_id = settings.broker_id
        self._cache = cache
        self._registration = registration
        self._metrics = metrics
        self._executor = executor
        self._partitions: dict[TopicPartition, Partition] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.stopping = False
        """Set at shutdown: long polls answer at once instead of waiting."""

    @property
    def partitions(self) -> dict[TopicPartition, Partition]:
        return self._partitions

    # ---- lookups for the request handlers ---------------------------------------------------

    def leader(self, tp: TopicPartition) -> Partition:
        """The partition if this broker leads it now; the error a client should see if not."""
        spec = self._cache.topics.get(tp.topic)
        if spec is None or not 0 <= tp.partition < spec.num_partitions:
            raise UnknownTopicOrPartition(f"unknown topic or partition {tp.topic}-{tp.partition}")
        partition = self._partitions.get(tp)
        if partition is None or partition.leader_epoch() is None:
            view = self._cache.partition(tp.topic, tp.partition)
            leader = view.state.leader if view else -1
            raise NotLeaderForPartition(
                f"broker {self._broker_id} does not lead {tp.topic}-{tp.partition} "
                f"(leader in metadata: {leader})")
        return partition

    # ---- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Open every partition assigned here, then follow metadata and run log upkeep."""
        self._settings.data_dir.mkdir(parents=True, exist_ok=True)
        for topic in list(self._cache.topics):
            await self._reconcile_logged(topic)
        self._warn_about_strays()
        self._spawn(self._follow_metadata(), "replica-reconcile")
        self._spawn(self._every(self._settings.log_retention_check_interval_ms,
                                lambda p: p.maintain()), "log-maintenance")
        self._spawn(self._every(self._settings.log_flush_interval_ms,
                                lambda p: p.flush()), "log-flush")

    def begin_shutdown(self) -> None:
        """Answer parked long polls now, so in-flight requests finish within the grace."""
        self.stopping = True
        for partition in self._partitions.values():
            partition.wake_waiters()

    async def stop(self) -> None:
        """Cancel the background work, close every log cleanly."""
        self.begin_shutdown()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        for partition in list(self._partitions.values()):
            partition.wake_waiters()
            try:
                await partition.close(delete=False)
            except Exception:
                log.exception("closing %s failed", partition.tp)
        self._partitions.clear()

    def lease_lost(self) -> None:
        """Stop leading everything at once; see Partition.apply_state for the way back."""
        for partition in self._partitions.values():
            partition.fence()
        self._update_counts()

    def registration_changed(self) -> None:
        """A new registration (revision) may let fenced partitions lead again."""
        for topic in {tp.topic for tp in self._partitions}:
            self._apply_states(topic)
        self._update_counts()

    # ---- following metadata ------------------------------------------------------------------

    async def _follow_metadata(self) -> None:
        while True:
            for topic in sorted(await self._cache.next_topic_changes()):
                await self._reconcile_logged(topic)

    async def _reconcile_logged(self, topic: str) -> None:
        """One topic's failure (an unreadable log, a full disk) must not stop the others."""
        try:
            await self._reconcile(topic)
        except Exception:
            log.exception("reconciling topic %s failed; retrying on its next change", topic)

    async def _reconcile(self, topic: str) -> None:
        spec = self._cache.topics.get(topic)
        wanted: set[int] = set()
        if spec is not None:
            wanted = {p for p, replicas in enumerate(spec.assignment)
                      if self._broker_id in replicas}
        for tp, partition in list(self._partitions.items()):
            if tp.topic != topic:
                continue
            if tp.partition not in wanted or spec is None or partition.topic_id != spec.topic_id:
                log.info("removing %s-%d from this broker", tp.topic, tp.partition)
                del self._partitions[tp]
                partition.wake_waiters()
                await partition.close(delete=True)
        if spec is not None:
            config = effective_config(spec, self._cache.config_defaults(self._broker_id))
            for p in sorted(wanted):
                tp = TopicPartition(topic, p)
                existing = self._partitions.get(tp)
                if existing is None:
                    self._partitions[tp] = await self._open(tp, spec, config)
                else:
                    await existing.update_config(config)
        self._apply_states(topic)
        self._update_counts()

    async def _open(self, tp: TopicPartition, spec: TopicSpec, config: TopicConfig) -> Partition:
        directory = self.partition_dir(tp)
        loop = asyncio.get_running_loop()

        def open_log() -> Log:
            claim_directory(directory, spec.topic_id)
            return Log.open(directory, config, now_ms=now_ms)

        opened = await loop.run_in_executor(self._executor, open_log)
        # Replication factor 1: every record this broker holds is committed.
        opened.high_watermark = opened.log_end_offset
        log.info("opened %s at %s (offsets %d..%d)", tp, directory,
                 opened.log_start_offset, opened.log_end_offset)
        return Partition(tp, topic_id=spec.topic_id, log=opened, config=config,
                         executor=self._executor, metrics=self._metrics,
                         holds_lease=self._registration.holds_lease)

    def _apply_states(self, topic: str) -> None:
        for tp, partition in self._partitions.items():
            if tp.topic == topic:
                view = self._cache.partition(tp.topic, tp.partition)
                partition.apply_state(
                    view.state if view else None,
                    mod_revision=view.mod_revision if view else 0,
                    broker_id=self._broker_id,
                    registration_revision=self._registration.revision,
                )

    def partition_dir(self, tp: TopicPartition) -> Path:
        return self._settings.data_dir / f"{tp.topic}-{tp.partition}"

    def _warn_about_strays(self) -> None:
        hosted = {self.partition_dir(tp).name for tp in self._partitions}
        for path in self._settings.data_dir.iterdir():
            if path.is_dir() and path.name not in hosted:
                # Not deleted: a wrong --cluster-id must not wipe a broker's data.
                log.warning("%s is not assigned to this broker; leaving it alone", path)

    def _update_counts(self) -> None:
        self._metrics.partition_count.set(len(self._partitions))
        self._metrics.leader_count.set(
            sum(1 for p in self._partitions.values() if p.leader_epoch() is not None))

    # ---- periodic log work -------------------------------------------------------------------

    async def _every(self, interval_ms: int,
                     work: Callable[[Partition], Awaitable[None]]) -> None:
        while True:
            await asyncio.sleep(interval_ms / 1000)
            for partition in list(self._partitions.values()):
                try:
                    await work(partition)
                except NotLeaderForPartition:
                    pass  # closed meanwhile
                except Exception:
                    log.exception("periodic log work on %s failed", partition.tp)
            self._update_counts()

    def _spawn(self, work: Awaitable[None], name: str) -> None:
        async def guarded() -> None:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except BaseException:
                log.critical("background task %s died", name, exc_info=True)
                raise

        self._tasks.append(asyncio.create_task(guarded(), name=name))
