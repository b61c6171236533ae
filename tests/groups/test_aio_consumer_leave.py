"""An AIOConsumer that stops leaves its group at once (a heartbeat with member epoch -1): the
coordinator forgets it and its partitions go to the next member without waiting for its
session, as when a connect worker restarts a sink task in the same group."""

from __future__ import annotations

import asyncio
import time

import pytest
from kanal import Admin, AIOConsumer, NewTopic, TopicPartition
from kanal.devcluster.pytest_plugin import DevClusterFactory

from .classic_helpers import describe

pytestmark = pytest.mark.integration

GROUP = "connect-restarted-sink"
TOPIC = "sink-input"


async def assigned(consumer: AIOConsumer) -> set[TopicPartition]:
    async with asyncio.timeout(60):  # a hang detector: the session alone would be 45 s
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=200)
    return set(consumer.assignment())


@pytest.mark.parametrize("autocommit", [False, True])
async def test_a_stopped_consumer_is_gone_at_once_and_its_successor_gets_its_partition(
        dev_cluster: DevClusterFactory, autocommit: bool) -> None:
    cluster = dev_cluster(brokers=1)
    with Admin(bootstrap_servers=cluster.bootstrap) as admin:
        admin.create_topics([NewTopic(TOPIC, 1, 1)])
    options = {"bootstrap_servers": cluster.bootstrap, "group_id": GROUP,
               "auto_offset_reset": "earliest", "enable_auto_commit": False}
    for _ in range(2):  # the restart of a restart too
        consumer = AIOConsumer(**options)
        await consumer.start()
        try:
            consumer.subscribe([TOPIC])
            assert await assigned(consumer) == {TopicPartition(TOPIC, 0)}
        finally:
            await consumer.stop(autocommit=autocommit)
        group = await describe(cluster.bootstrap, GROUP)
        assert list(group.members) == []  # released now, not after its session


async def test_a_consumer_stopped_while_its_join_is_in_flight_leaves_no_member_behind(
        dev_cluster: DevClusterFactory) -> None:
    """A sink task restarted twice in a row: its consumer stops right after subscribing, while
    the joining heartbeat is on its way. The coordinator may already have made it a member
    (and given it the partition): the stop must still end that membership."""
    cluster = dev_cluster(brokers=1)
    with Admin(bootstrap_servers=cluster.bootstrap) as admin:
        admin.create_topics([NewTopic(TOPIC, 1, 1)])
    for attempt in range(12):
        group_id = f"{GROUP}-{attempt}"
        consumer = AIOConsumer(bootstrap_servers=cluster.bootstrap, group_id=group_id,
                               enable_auto_commit=False)
        await consumer.start()
        consumer.subscribe([TOPIC])
        # Let the joining heartbeat go out, then keep the loop busy (as a worker starting
        # other tasks does) while the coordinator answers it: the stop cancels a heartbeat
        # whose answer is there but unread. The attempts move the moment it goes out.
        await asyncio.sleep(attempt * 0.001)
        time.sleep(0.2)  # noqa: ASYNC251 - blocking the loop is the point
        await consumer.stop(autocommit=False)
        group = await describe(cluster.bootstrap, group_id)
        assert list(group.members) == [], f"a member was left behind (attempt {attempt})"
