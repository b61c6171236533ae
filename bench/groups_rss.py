"""What 1,000 consumer groups of one member each cost the coordinator broker in memory
(target: < 100 MB RSS).

    python bench/groups_rss.py [--groups 1000] [--json]

One dev cluster (one broker, which coordinates every group) on loopback and a topic of 4
partitions. The broker's RSS (VmRSS) is read once `__consumer_offsets` is loaded, then after
every group has one member (a KIP-848 join heartbeat, which gets the member all 4
partitions) and one committed offset per partition, and once more after a heartbeat round.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import grpc
from kanal import Admin, NewTopic
from kanal.client.config import parse_bootstrap
from kanal.client.connection import CHANNEL_OPTIONS
from kanal.client.group_link import GroupLink
from kanal.devcluster.cluster import DevCluster
from kanal.v1 import group_pb2, group_pb2_grpc

TOPIC = "rss-groups"
PARTITIONS = 4
CONCURRENCY = 50


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def join_and_commit(stub: Any, group_id: str) -> tuple[str, int]:
    join = group_pb2.ConsumerGroupHeartbeatRequest(
        group_id=group_id, member_epoch=0, subscribed_topic_names=[TOPIC])
    member = await stub.ConsumerGroupHeartbeat(join, timeout=30)
    if member.error_code:
        raise RuntimeError(f"{group_id}: {member.error_message}")
    commit = group_pb2.OffsetCommitRequest(
        group_id=group_id, member_id=member.member_id, member_epoch=member.member_epoch,
        topics=[group_pb2.OffsetCommitTopic(topic=TOPIC, partitions=[
            group_pb2.OffsetCommitPartition(partition=p, committed_offset=100 + p,
                                            committed_leader_epoch=-1)
            for p in range(PARTITIONS)])])
    answer = await stub.OffsetCommit(commit, timeout=30)
    if answer.error_code:
        raise RuntimeError(f"{group_id}: {answer.error_message}")
    return member.member_id, member.member_epoch


async def heartbeat(stub: Any, group_id: str, member: tuple[str, int]) -> None:
    request = group_pb2.ConsumerGroupHeartbeatRequest(
        group_id=group_id, member_id=member[0], member_epoch=member[1],
        subscribed_topic_names=[TOPIC],
        topic_partitions=[group_pb2.TopicPartitions(topic=TOPIC,
                                                    partitions=list(range(PARTITIONS)))])
    answer = await stub.ConsumerGroupHeartbeat(request, timeout=30)
    if answer.error_code:
        raise RuntimeError(f"{group_id}: {answer.error_message}")


async def bounded(work: list[Any]) -> list[Any]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(item: Any) -> Any:
        async with gate:
            return await item

    return await asyncio.gather(*(one(w) for w in work))


async def measure(bootstrap: str, pid: int, groups: int) -> dict[str, Any]:
    link = GroupLink(parse_bootstrap(bootstrap), "group-0", timeout_s=120)
    try:
        await link.call(lambda s: s.OffsetFetch(group_pb2.OffsetFetchRequest(group_id="group-0"),
                                                timeout=10), lambda a: a.error_code)
        coordinator = await link.find()
    finally:
        await link.close()
    baseline = rss_mb(pid)
    ids = [f"group-{i}" for i in range(groups)]
    async with grpc.aio.insecure_channel(str(coordinator), options=CHANNEL_OPTIONS) as channel:
        stub = group_pb2_grpc.GroupCoordinatorStub(channel)
        start = time.perf_counter()
        members = await bounded([join_and_commit(stub, g) for g in ids])
        joined_s = time.perf_counter() - start
        loaded = rss_mb(pid)
        await bounded([heartbeat(stub, g, m) for g, m in zip(ids, members, strict=True)])
        after_heartbeats = rss_mb(pid)
    return {"groups": groups, "baseline_rss_mb": baseline, "rss_mb": loaded,
            "rss_after_heartbeats_mb": after_heartbeats,
            "per_group_kb": (max(loaded, after_heartbeats) - baseline) * 1024 / groups,
            "join_and_commit_s": joined_s, "target_rss_mb": 100}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir, DevCluster(
        data_dir, brokers=1, controllers=1, base_broker_port=0, controller_port=0, etcd_port=0
    ) as cluster:
        with Admin(bootstrap_servers=cluster.bootstrap) as admin:
            admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)])
        broker = cluster.endpoints.brokers[0]
        assert broker.pid is not None
        result = asyncio.run(measure(cluster.bootstrap, broker.pid, opts.groups))
    if opts.json:
        print(json.dumps(result))
        return 0
    print(f"{result['groups']} groups of one member, {PARTITIONS} committed offsets each")
    print(f"broker RSS: {result['baseline_rss_mb']:.1f} MB before, {result['rss_mb']:.1f} MB "
          f"with the groups, {result['rss_after_heartbeats_mb']:.1f} MB after a heartbeat "
          f"round   (target < 100 MB)")
    print(f"about {result['per_group_kb']:.1f} KB per group; joins and commits took "
          f"{result['join_and_commit_s']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
