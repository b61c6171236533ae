"""Which partitions live on this broker, and whether it leads them.

Follows the metadata cache: a partition whose topic assigns it to this broker gets a log
under `<data-dir>/<topic>-<partition>/` (Kafka's directory naming); one that stops being
assigned here, or whose topic is deleted (or re-created with a new id), is closed and its
directory deleted. Leadership comes from the partition's state in etcd and from holding the
registration lease (see `Partition.apply_state` and `lease_lost`).

Routes each partition to its replication role as states change: a leader tracks its
followers (`Partition.leader_view`) and asks for ISR changes (`IsrUpdates`); a follower is
handed to the fetcher of its leader (`ReplicaFetchers`).

Also owns the periodic log work: retention, rolling and compaction, and flushing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from kanal.errors import NotLeaderForPartition, UnknownTopicOrPartition
from kanal.meta.documents import TopicSpec
from kanal.topic_config import TopicConfig
from kanal.types import TopicPartition

from kanal_broker.log import Log
from kanal_broker.log.cleaner import KEY_MAP_BYTES_PER_KEY
from kanal_broker.metadata_cache import MetadataCache
from kanal_broker.metrics import BrokerMetrics
from kanal_broker.partition import Partition
from kanal_broker.partition_metadata import claim_directory
from kanal_broker.registration import Registration
from kanal_broker.replication.controller_link import ControllerLink
from kanal_broker.replication.fetchers import ReplicaFetchers
from kanal_broker.replication.isr_updates import IsrUpdates
from kanal_broker.replication.throttle import ReplicationThrottle
from kanal_broker.settings import BrokerSettings
from kanal_broker.topic_configs import effective_config

log = logging.getLogger(__name__)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


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
        self._cleaner_max_keys = settings.log_cleaner_dedupe_buffer_size // KEY_MAP_BYTES_PER_KEY
        self._partitions: dict[TopicPartition, Partition] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._fetchers = ReplicaFetchers(
            cache=cache, settings=settings, throttle=ReplicationThrottle(
                cache=cache, broker_id=settings.broker_id, metrics=metrics))
        self._isr_updates = IsrUpdates(link=ControllerLink(cache), metrics=metrics,
                                       lag_time_max_ms=settings.replica_lag_time_max_ms)
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

    async def follower_fetched(self, partition: Partition, follower: int,
                               fetch_offset: int) -> None:
        """A follower fetch reached the leader: it holds everything below `fetch_offset`.
        Maybe commit more, maybe let the follower (back) into the ISR."""
        spec = self._cache.topics.get(partition.tp.topic)
        if spec is None or follower not in spec.assignment[partition.tp.partition]:
            return
        if fetch_offset > partition.offsets.log_end_offset:
            # Past this log's end: the follower must truncate first (its fetch fails with
            # OFFSET_OUT_OF_RANGE); never count it as holding offsets this leader lacks.
            return
        now = now_ms()
        partition.follower_fetched(follower, fetch_offset, now)
        await partition.advance_high_watermark()
        view = partition.leader_view
        if view is not None:
            lag = view.lag(follower, partition.offsets.log_end_offset)
            if lag is not None:
                self._metrics.observe_replica_lag(partition.tp, follower, lag)
            if follower not in view.maximal_isr():
                self._isr_updates.propose(partition, now)

    # ---- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Open every partition assigned here, then follow metadata and run log upkeep."""
        self._settings.data_dir.mkdir(parents=True, exist_ok=True)
        for topic in list(self._cache.topics):
            await self._reconcile_logged(topic)
        self._warn_about_strays()
        self._spawn(self._follow_metadata(), "replica-reconcile")
        self._spawn(self._every(self._settings.log_retention_check_interval_ms,
                                lambda p: p.maintain(self._cleaner_max_keys)), "log-maintenance")
        self._spawn(self._every(self._settings.log_flush_interval_ms,
                                lambda p: p.flush()), "log-flush")
        self._spawn(self._every(max(1, self._settings.replica_lag_time_max_ms // 2),
                                self._check_isr), "isr-check")

    def begin_shutdown(self) -> None:
        """Answer parked long polls now, so in-flight requests finish within the grace."""
        self.stopping = True
        for partition in self._partitions.values():
            partition.wake_waiters()

    async def stop(self) -> None:
        """Cancel the background work, close every log cleanly."""
        self.begin_shutdown()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self._fetchers.stop()
        await self._isr_updates.stop()
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
        self._spawn(self._advance_watermarks(list(self._partitions.values())),
                    "advance-watermarks")

    async def _advance_watermarks(self, partitions: list[Partition]) -> None:
        """Leading again (or for the first time since start): what the ISR holds is
        committed, e.g. the whole log when the ISR is this leader alone."""
        for partition in partitions:
            with contextlib.suppress(NotLeaderForPartition):  # closed meanwhile
                await partition.advance_high_watermark()

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
                self._fetchers.unfollow(partition)
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
        await self._advance_watermarks(
            [p for tp, p in self._partitions.items() if tp.topic == topic])
        self._update_counts()

    async def _open(self, tp: TopicPartition, spec: TopicSpec, config: TopicConfig) -> Partition:
        directory = self.partition_dir(tp)
        loop = asyncio.get_running_loop()

        def open_log() -> Log:
            claim_directory(directory, spec.topic_id)
            return Log.open(directory, config, now_ms=now_ms)

        opened = await loop.run_in_executor(self._executor, open_log)
        log.info("opened %s at %s (offsets %d..%d)", tp, directory,
                 opened.log_start_offset, opened.log_end_offset)
        return Partition(tp, topic_id=spec.topic_id, log=opened, config=config,
                         executor=self._executor, metrics=self._metrics,
                         holds_lease=self._registration.holds_lease)

    def _apply_states(self, topic: str) -> None:
        spec = self._cache.topics.get(topic)
        for tp, partition in self._partitions.items():
            if tp.topic != topic:
                continue
            view = self._cache.partition(tp.topic, tp.partition)
            replicas = spec.assignment[tp.partition] if spec else []
            partition.apply_state(
                view.state if view else None,
                mod_revision=view.mod_revision if view else 0,
                broker_id=self._broker_id,
                registration_revision=self._registration.revision,
                replicas=replicas,
                now_ms=now_ms(),
            )
            state = partition.state
            if (partition.leader_epoch() is None and state is not None and state.leader >= 0
                    and state.leader != self._broker_id):
                self._fetchers.follow(partition, state.leader, state.leader_epoch)
            else:
                self._fetchers.unfollow(partition)

    def partition_dir(self, tp: TopicPartition) -> Path:
        return self._settings.data_dir / f"{tp.topic}-{tp.partition}"

    def _warn_about_strays(self) -> None:
        hosted = {self.partition_dir(tp).name for tp in self._partitions}
        for path in self._settings.data_dir.iterdir():
            if path.is_dir() and path.name not in hosted:
                # Not deleted: a wrong --cluster-id must not wipe a broker's data.
                log.warning("%s is not assigned to this broker; leaving it alone", path)

    def _update_counts(self) -> None:
        led = [p for p in self._partitions.values() if p.leader_view is not None]
        self._metrics.partition_count.set(len(self._partitions))
        self._metrics.producer_ids.set(
            sum(p.offsets.producer_ids for p in self._partitions.values()))
        self._metrics.leader_count.set(len(led))
        # Replicas still being added by a reassignment do not count (Kafka's KIP-352): a
        # move is not a loss of redundancy.
        self._metrics.under_replicated.set(
            sum(1 for p in led if p.leader_view and len(p.leader_view.isr)
                < len(p.leader_view.replicas) - len(p.state.adding_replicas if p.state else ())))
        self._metrics.under_min_isr.set(
            sum(1 for p in led if p.leader_view and len(p.leader_view.isr)
                < p.config.min_insync_replicas))
        for partition in self._partitions.values():
            if partition.leader_view is None:
                self._metrics.forget_replica_lag(partition.tp)

    async def _check_isr(self, partition: Partition) -> None:
        if partition.leader_view is not None:
            self._isr_updates.propose(partition, now_ms())

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

        task = asyncio.create_task(guarded(), name=name)
        self._tasks.append(task)
        # One-shot tasks leave the list when done; the long-lived ones stay until stop.
        task.add_done_callback(self._forget_task)

    def _forget_task(self, task: asyncio.Task[None]) -> None:
        if task in self._tasks:
            self._tasks.remove(task)
