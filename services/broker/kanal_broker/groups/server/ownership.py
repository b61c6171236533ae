"""Which `__consumer_offsets` partitions this broker's coordinator serves, following
leadership: a partition led here (at a leader epoch not yet loaded) is replayed from its log
before its groups are served, COORDINATOR_LOAD_IN_PROGRESS meanwhile; a partition no longer
led here is unloaded. Each partition has a lock: its state changes hit the log in the order
they were made, because a change and its append happen under the same lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from kanal.errors import NotCoordinator
from kanal.types import TopicPartition

from kanal_broker.groups.coordinator import Append, GroupCoordinator
from kanal_broker.groups.server.offsets_log import OFFSETS_TOPIC, append_committed, read_all
from kanal_broker.partition import Partition
from kanal_broker.replica_manager import ReplicaManager

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.2


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class OffsetsOwnership:
    def __init__(self, coordinator: GroupCoordinator, replicas: ReplicaManager) -> None:
        self.coordinator = coordinator
        self._replicas = replicas
        self._loaded: dict[int, int] = {}
        """partition -> the leader epoch it was loaded at."""
        self._locks: dict[int, asyncio.Lock] = {}

    def lock(self, partition: int) -> asyncio.Lock:
        return self._locks.setdefault(partition, asyncio.Lock())

    @contextlib.asynccontextmanager
    async def all_locks(self) -> AsyncIterator[None]:
        """Every partition's lock, taken in order (callers holding one never deadlock)."""
        async with contextlib.AsyncExitStack() as stack:
            for partition in sorted(self._loaded):
                await stack.enter_async_context(self.lock(partition))
            yield

    def led(self, partition: int) -> Partition | None:
        found = self._replicas.partitions.get(TopicPartition(OFFSETS_TOPIC, partition))
        if found is None or found.leader_epoch() is None:
            return None
        return found

    async def run(self) -> None:
        """Follow leadership for ever (a guarded task of the broker)."""
        while True:
            await self.sync()
            await asyncio.sleep(POLL_INTERVAL_S)

    async def sync(self) -> None:
        for partition in list(self._loaded):
            current = self.led(partition)
            if current is None or current.leader_epoch() != self._loaded[partition]:
                async with self.lock(partition):
                    self._unload(partition)
        count = self.coordinator.config.offsets_partitions
        for partition in range(count):
            leader = self.led(partition)
            if leader is not None and partition not in self._loaded:
                async with self.lock(partition):
                    try:
                        await self._load(partition, leader)
                    except Exception:  # an unreadable log: retried at the next poll
                        log.exception("loading %s-%d failed", OFFSETS_TOPIC, partition)
                        self._unload(partition)

    async def _load(self, partition: int, leader: Partition) -> None:
        epoch = leader.leader_epoch()
        if epoch is None:
            return
        self.coordinator.begin_loading(partition)
        # Everything up to the log end: a leader's log is what its followers will hold.
        records = await read_all(leader)
        self.coordinator.load(partition, records, now_ms=now_ms())
        self._loaded[partition] = epoch
        log.info("loaded %d records of %s-%d (leader epoch %d)", len(records), OFFSETS_TOPIC,
                 partition, epoch)

    def _unload(self, partition: int) -> None:
        self.coordinator.unload(partition)
        self._loaded.pop(partition, None)
        log.info("unloaded %s-%d", OFFSETS_TOPIC, partition)

    async def persist(self, append: Append) -> None:
        """Append a call's records before answering (the caller holds the partition's lock).
        On failure the memory is ahead of the log: reload from the log, then re-raise."""
        if not append.records:
            return
        leader = self.led(append.partition)
        try:
            if leader is None:
                raise NotCoordinator(f"{OFFSETS_TOPIC}-{append.partition} is not led here")
            await append_committed(leader, append.records)
        except BaseException:
            self._unload(append.partition)
            if leader is not None and leader.leader_epoch() is not None:
                with contextlib.suppress(Exception):
                    await self._load(append.partition, leader)
            raise
