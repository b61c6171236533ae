"""Follower side: which partitions each source fetcher pulls, as leadership moves.

`follow` is idempotent for the same leader and epoch; a new leader or epoch gives the
partition a new `FollowTarget` (so answers for the old one are dropped) and a fresh
truncation before its first fetch. One fetcher task per source broker lives until shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from kanal_broker.metadata_cache import MetadataCache
from kanal_broker.partition import FollowTarget, Partition
from kanal_broker.replication.fetcher import SourceFetcher
from kanal_broker.replication.throttle import ReplicationThrottle
from kanal_broker.settings import BrokerSettings

log = logging.getLogger(__name__)


class ReplicaFetchers:
    def __init__(self, *, cache: MetadataCache, settings: BrokerSettings,
                 throttle: ReplicationThrottle) -> None:
        self._cache = cache
        self._throttle = throttle
        self._settings = settings
        self._fetchers: dict[int, SourceFetcher] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}

    def follow(self, partition: Partition, leader: int, leader_epoch: int) -> None:
        current = partition.follow_target
        if current is not None and (current.leader, current.leader_epoch) == (leader,
                                                                              leader_epoch):
            return
        self.unfollow(partition)
        target = partition.follow_target = FollowTarget(leader, leader_epoch)
        self._fetcher(leader).add(partition, target)
        log.info("%s: following broker %d in leader epoch %d", partition.tp, leader,
                 leader_epoch)

    def unfollow(self, partition: Partition) -> None:
        target = partition.follow_target
        partition.follow_target = None
        if target is not None and target.leader in self._fetchers:
            self._fetchers[target.leader].remove(partition.tp)

    async def stop(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for fetcher in self._fetchers.values():
            await fetcher.close()
        self._tasks.clear()
        self._fetchers.clear()

    def _fetcher(self, source: int) -> SourceFetcher:
        fetcher = self._fetchers.get(source)
        if fetcher is None:
            fetcher = self._fetchers[source] = SourceFetcher(
                source, cache=self._cache, settings=self._settings, throttle=self._throttle)
            self._tasks[source] = asyncio.get_running_loop().create_task(
                _guarded(fetcher), name=f"replica-fetcher-{source}")
        return fetcher


async def _guarded(fetcher: SourceFetcher) -> None:
    try:
        await fetcher.run()
    except asyncio.CancelledError:
        raise
    except BaseException:
        log.critical("replica fetcher for broker %d died", fetcher.source, exc_info=True)
        raise
