"""Consumer-group lag, exported by the coordinator broker for the groups it serves.

Every `REFRESH_S` a task takes each loaded group's committed offsets and sends one Fetch per
partition leader (max_wait 0, one batch) starting at the committed offset. The answer gives
the high watermark (lag = high watermark - committed offset, as kafka-consumer-groups counts
it) and the first record at the committed offset, whose timestamp gives
`kanal_consumergroup_lag_seconds`: now minus the timestamp of the oldest record the group
has not consumed - an approximation (that record's timestamp is its CreateTime unless the
topic uses LogAppendTime), 0 when the group is caught up. Scrapes read the last snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import grpc
from kanal.client.connection import CHANNEL_OPTIONS
from kanal.records.reader import iter_records
from kanal.types import TopicPartition
from kanal.v1 import broker_pb2, broker_pb2_grpc
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from kanal_broker.groups.coordinator import GroupCoordinator
from kanal_broker.metadata_cache import MetadataCache

log = logging.getLogger(__name__)

REFRESH_S = 5.0
PROBE_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class PartitionLagSample:
    group_id: str
    tp: TopicPartition
    committed: int
    lag: int
    lag_seconds: float


@dataclass(frozen=True, slots=True)
class LagSnapshot:
    partitions: tuple[PartitionLagSample, ...] = ()
    members: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class _Probe:
    high_watermark: int
    first_timestamp_ms: int | None


class GroupLagExporter(Collector):
    def __init__(self, coordinator: GroupCoordinator, cache: MetadataCache) -> None:
        self._coordinator = coordinator
        self._cache = cache
        self.snapshot = LagSnapshot()
        """Replaced whole (one reference assignment): the scrape thread reads it as is."""
        self._channels: dict[str, grpc.aio.Channel] = {}

    def collect(self) -> Iterator[Metric]:
        snapshot = self.snapshot
        labels = ["group", "topic", "partition"]
        lag = GaugeMetricFamily("kanal_consumergroup_lag",
                                "Records between the committed offset and the high watermark",
                                labels=labels)
        seconds = GaugeMetricFamily(
            "kanal_consumergroup_lag_seconds",
            "Approximate: now minus the timestamp of the record at the committed offset",
            labels=labels)
        current = GaugeMetricFamily("kanal_consumergroup_current_offset",
                                    "The group's committed offset", labels=labels)
        for s in snapshot.partitions:
            values = [s.group_id, s.tp.topic, str(s.tp.partition)]
            lag.add_metric(values, s.lag)
            seconds.add_metric(values, s.lag_seconds)
            current.add_metric(values, s.committed)
        members = GaugeMetricFamily("kanal_consumergroup_members", "Members of the group",
                                    labels=["group"])
        for group_id, count in snapshot.members:
            members.add_metric([group_id], count)
        yield from (lag, seconds, current, members)

    async def run(self) -> None:
        while True:
            try:
                self.snapshot = await self.measure()
            except Exception:
                log.exception("measuring consumer-group lag failed")
            await asyncio.sleep(REFRESH_S)

    async def measure(self) -> LagSnapshot:
        committed: dict[tuple[str, TopicPartition], int] = {}
        members: list[tuple[str, int]] = []
        for listing in self._coordinator.list_groups():
            try:
                group = self._coordinator.describe(listing.group_id)
                offsets = self._coordinator.fetch(listing.group_id)
            except Exception:  # unloaded meanwhile
                continue
            members.append((listing.group_id, len(group.members)))
            for tp, entry in offsets.items():
                if entry is not None:
                    committed[(listing.group_id, tp)] = entry.offset
        probes = await self._probe({(tp, o) for (_, tp), o in committed.items()})
        now_ms = time.time_ns() // 1_000_000
        samples = []
        for (group_id, tp), offset in sorted(committed.items()):
            probe = probes.get((tp, offset))
            if probe is None:
                continue
            lag = max(0, probe.high_watermark - offset)
            stamp = probe.first_timestamp_ms
            seconds = max(0.0, (now_ms - stamp) / 1000) if lag and stamp is not None else 0.0
            samples.append(PartitionLagSample(group_id, tp, offset, lag, seconds))
        return LagSnapshot(tuple(samples), tuple(members))

    async def _probe(self, wanted: Iterable[tuple[TopicPartition, int]]
                     ) -> dict[tuple[TopicPartition, int], _Probe]:
        by_leader: dict[int, list[tuple[TopicPartition, int]]] = {}
        for tp, offset in wanted:
            view = self._cache.partition(tp.topic, tp.partition)
            if view is not None and view.state.leader in self._cache.brokers:
                by_leader.setdefault(view.state.leader, []).append((tp, offset))
        found: dict[tuple[TopicPartition, int], _Probe] = {}
        for leader, items in by_leader.items():
            for (tp, offset), probe in zip(items, await self._fetch(leader, items), strict=True):
                if probe is not None:
                    found[(tp, offset)] = probe
        return found

    async def _fetch(self, leader: int, items: list[tuple[TopicPartition, int]]
                     ) -> list[_Probe | None]:
        broker = self._cache.brokers[leader]
        target = f"{broker.host}:{broker.port}"
        channel = self._channels.get(target)
        if channel is None:
            channel = self._channels[target] = grpc.aio.insecure_channel(
                target, options=CHANNEL_OPTIONS)
        request = broker_pb2.FetchRequest(replica_id=-1, max_wait_ms=0, min_bytes=0,
                                          max_bytes=PROBE_BYTES * len(items), topics=[
            broker_pb2.FetchTopic(topic=tp.topic, partitions=[broker_pb2.FetchPartition(
                partition=tp.partition, fetch_offset=offset, partition_max_bytes=PROBE_BYTES,
                current_leader_epoch=-1)]) for tp, offset in items])
        try:
            answer = await broker_pb2_grpc.BrokerStub(channel).Fetch(request, timeout=10)
        except grpc.aio.AioRpcError as exc:
            log.debug("lag probe of broker %d failed: %s", leader, exc)
            return [None] * len(items)
        probes: list[_Probe | None] = []
        for topic, (_, offset) in zip(answer.topics, items, strict=True):
            part = topic.partitions[0]
            if part.error_code:
                probes.append(None)
                continue
            first = next(iter_records(part.records, min_offset=offset), None)
            probes.append(_Probe(part.high_watermark, first.timestamp if first else None))
        return probes

    async def close(self) -> None:
        channels, self._channels = self._channels, {}
        for channel in channels.values():
            await channel.close(None)
