"""`kanal partitions elect-leaders` on a real cluster: after a broker restart leadership stays
where the failover put it; a preferred election moves it back to the first replica. An
unclean election asks for confirmation and warns that it can lose data."""

from __future__ import annotations

import asyncio

import pytest
from click.testing import CliRunner, Result
from kanal.cli.main import cli

from .cluster_client import TOPIC, create_topic, wait_for_isr
from .conftest import ReplicatedCluster, describe_partition

pytestmark = pytest.mark.integration


def kanal(cluster: ReplicatedCluster, *args: str) -> Result:
    bootstrap = cluster.brokers[1].endpoint
    return CliRunner().invoke(cli, ["--bootstrap", bootstrap, *args])


async def leader_and_replicas(cluster: ReplicatedCluster) -> tuple[int, list[int]]:
    for broker in cluster.brokers.values():
        if broker.process is not None and broker.process.poll() is None:
            _, partition = await describe_partition(broker.endpoint, TOPIC)
            if partition is not None:
                return partition.leader, list(partition.replicas)
    raise AssertionError("no broker answered")


async def test_preferred_election_restores_the_first_replica_as_leader(
        cluster: ReplicatedCluster) -> None:
    for broker_id in (1, 2, 3):
        # The automatic rebalance runs every 5 min by default: it does not interfere here.
        cluster.start_broker(broker_id)
    await create_topic(cluster)
    await wait_for_isr(cluster, 3)
    leader, replicas = await leader_and_replicas(cluster)
    assert leader == replicas[0]
    cluster.brokers[leader].stop()
    cluster.start_broker(leader)
    await wait_for_isr(cluster, 3)
    displaced, _ = await leader_and_replicas(cluster)
    assert displaced != replicas[0]

    refused = await asyncio.to_thread(kanal, cluster, "partitions", "elect-leaders",
                                      "--topic", TOPIC, "--unclean")
    assert refused.exit_code == 2
    assert "lost" in refused.output

    result = await asyncio.to_thread(kanal, cluster, "partitions", "elect-leaders",
                                     "--topic", TOPIC)
    assert result.exit_code == 0, result.output
    assert "elected" in result.output
    # The brokers learn the new state through their etcd watch.
    for _ in range(100):
        if (await leader_and_replicas(cluster))[0] == replicas[0]:
            break
        await asyncio.sleep(0.1)
    assert (await leader_and_replicas(cluster))[0] == replicas[0]
    again = await asyncio.to_thread(kanal, cluster, "partitions", "elect-leaders")
    assert again.exit_code == 0, again.output
    assert "unchanged" in again.output
