"""How long a consumer group takes to rebalance when a 4th member joins 3 members over 12
partitions (target: under 1 s plus one heartbeat interval).

    python bench/groups_rebalance.py [--rounds 5] [--heartbeat-interval-ms 1000] [--json]

One dev cluster (one broker) on loopback, its coordinator told to use the given heartbeat
interval. Three AIOConsumers hold the 12 partitions; each round a 4th consumer subscribes,
and the clock runs until DescribeGroups shows the group Stable with four members holding
three partitions each (every revocation acknowledged and every partition handed over). The
4th then leaves and the group settles before the next round. Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from typing import Any

from kanal import Admin, AIOConsumer, NewTopic
from kanal.client.config import parse_bootstrap
from kanal.client.group_link import GroupLink
from kanal.devcluster.cluster import DevCluster
from kanal.v1 import group_pb2

TOPIC = "rebalance-bench"
GROUP = "rebalance-bench"
PARTITIONS = 12
POLL_S = 0.01


async def balanced(link: GroupLink, members: int) -> bool:
    answer = await link.call(lambda s: s.DescribeGroups(
        group_pb2.DescribeGroupsRequest(group_ids=[GROUP]), timeout=10),
        lambda a: a.groups[0].error_code)
    group = answer.groups[0]
    if group.state != "Stable" or len(group.members) != members:
        return False
    owned = [sum(len(t.partitions) for t in m.assignment) for m in group.members]
    return sum(owned) == PARTITIONS and max(owned) - min(owned) == 0


async def wait_balanced(link: GroupLink, members: int, timeout_s: float = 120) -> float:
    start = time.perf_counter()
    while not await balanced(link, members):
        if time.perf_counter() - start > timeout_s:
            raise TimeoutError(f"the group did not settle with {members} members")
        await asyncio.sleep(POLL_S)
    return time.perf_counter() - start


def consumer(bootstrap: str) -> AIOConsumer:
    return AIOConsumer(TOPIC, bootstrap_servers=bootstrap, group_id=GROUP,
                       enable_auto_commit=False)


async def measure(bootstrap: str, rounds: int) -> list[float]:
    link = GroupLink(parse_bootstrap(bootstrap), GROUP, timeout_s=60)
    members = [consumer(bootstrap) for _ in range(3)]
    for member in members:
        await member.start()
    try:
        await wait_balanced(link, 3)
        timings = []
        for _ in range(rounds):
            fourth = consumer(bootstrap)
            start = time.perf_counter()
            await fourth.start()
            await wait_balanced(link, 4)
            timings.append(time.perf_counter() - start)
            await fourth.stop()
            await wait_balanced(link, 3)
        return timings
    finally:
        for member in members:
            await member.stop()
        await link.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--heartbeat-interval-ms", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    opts = parser.parse_args()
    os.environ["KANAL_BROKER_GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS"] = str(
        opts.heartbeat_interval_ms)
    with tempfile.TemporaryDirectory() as data_dir, DevCluster(
        data_dir, brokers=1, controllers=1, base_broker_port=0, controller_port=0, etcd_port=0
    ) as cluster:
        with Admin(bootstrap_servers=cluster.bootstrap) as admin:
            admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)])
        timings = asyncio.run(measure(cluster.bootstrap, opts.rounds))
    target_s = 1.0 + opts.heartbeat_interval_ms / 1000
    result: dict[str, Any] = {
        "heartbeat_interval_ms": opts.heartbeat_interval_ms, "partitions": PARTITIONS,
        "rounds_s": timings, "median_s": statistics.median(timings), "max_s": max(timings),
        "target_s": target_s,
    }
    if opts.json:
        print(json.dumps(result))
        return 0
    print(f"4th member joins 3 over {PARTITIONS} partitions, heartbeat interval "
          f"{opts.heartbeat_interval_ms} ms, {opts.rounds} rounds")
    print(f"time to a stable assignment: median {result['median_s']:.3f} s, "
          f"max {result['max_s']:.3f} s   (target < {target_s:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
