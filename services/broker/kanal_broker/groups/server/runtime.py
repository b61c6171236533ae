"""The group coordinator's part of a broker: its servicer and its owned background tasks
(following `__consumer_offsets` leadership; ticking session and retention deadlines;
measuring the lag it exports)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable

import grpc
from kanal.errors import KanalError
from kanal.v1 import group_pb2_grpc
from prometheus_client import CollectorRegistry

from kanal_broker.groups.config import GroupCoordinatorConfig
from kanal_broker.groups.coordinator import GroupCoordinator
from kanal_broker.groups.server.lag import GroupLagExporter
from kanal_broker.groups.server.offsets_topic import OffsetsTopic
from kanal_broker.groups.server.ownership import OffsetsOwnership, now_ms
from kanal_broker.groups.server.service import GroupCoordinatorService
from kanal_broker.metadata_cache import MetadataCache
from kanal_broker.replica_manager import ReplicaManager
from kanal_broker.settings import BrokerSettings

log = logging.getLogger(__name__)

MAX_TICK_INTERVAL_MS = 2_000
"""Ticks happen at least this often: offsets retention has no deadline of its own."""


def group_coordinator_config(settings: BrokerSettings) -> GroupCoordinatorConfig:
    """The coordinator's settings from the broker's flags."""
    return GroupCoordinatorConfig(
        heartbeat_interval_ms=settings.group_consumer_heartbeat_interval_ms,
        session_timeout_ms=settings.group_consumer_session_timeout_ms,
        min_session_timeout_ms=settings.group_min_session_timeout_ms,
        max_session_timeout_ms=settings.group_max_session_timeout_ms,
        initial_rebalance_delay_ms=settings.group_initial_rebalance_delay_ms,
        offsets_retention_ms=settings.offsets_retention_minutes * 60_000)


class GroupsRuntime:
    def __init__(self, *, cache: MetadataCache, replicas: ReplicaManager,
                 registry: CollectorRegistry, config: GroupCoordinatorConfig | None = None
                 ) -> None:
        self.coordinator = GroupCoordinator(config)
        self.ownership = OffsetsOwnership(self.coordinator, replicas)
        self.topic = OffsetsTopic(cache, partitions=self.coordinator.config.offsets_partitions)
        self._classic_wake = asyncio.Event()
        self.service = GroupCoordinatorService(ownership=self.ownership, topic=self.topic,
                                               cache=cache,
                                               wake_classic_timer=self._classic_wake.set)
        self.lag = GroupLagExporter(self.coordinator, cache)
        registry.register(self.lag)
        self._tasks: list[asyncio.Task[None]] = []

    def register(self, server: grpc.aio.Server) -> None:
        group_pb2_grpc.add_GroupCoordinatorServicer_to_server(self.service, server)

    def start(self) -> None:
        self._spawn(self.ownership.run(), "groups-ownership")
        self._spawn(self._tick_forever(), "groups-tick")
        self._spawn(self._classic_timer(), "groups-classic-timer")
        self._spawn(self.lag.run(), "groups-lag")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.topic.close()
        await self.lag.close()

    async def _tick_forever(self) -> None:
        while True:
            now = now_ms()
            deadline = self.coordinator.next_deadline()
            wake = now + MAX_TICK_INTERVAL_MS if deadline is None else min(
                deadline, now + MAX_TICK_INTERVAL_MS)
            await asyncio.sleep(max(0, wake - now) / 1000)
            async with self.ownership.all_locks():
                for append in self.coordinator.tick(now_ms=now_ms()):
                    try:
                        await self.ownership.persist(append)
                    except KanalError as error:  # reloaded from the log by persist
                        log.warning("appending expirations failed: %s", error)

    async def _classic_timer(self) -> None:
        """Classic deadlines (join phase, sync, sessions) change with every classic call,
        which wakes this loop to sleep until the new earliest one."""
        classic = self.coordinator.classic
        while True:
            self._classic_wake.clear()
            deadline = classic.next_deadline()
            wait_ms = MAX_TICK_INTERVAL_MS if deadline is None else min(
                MAX_TICK_INTERVAL_MS, max(0, deadline - now_ms()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._classic_wake.wait(), wait_ms / 1000)
            classic.tick(now_ms=now_ms())

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
