"""AIOConsumer in a group: a regex subscription, a coroutine rebalance listener, commit and
committed(), a leave on stop() and a restart that resumes at the committed offsets."""

from __future__ import annotations

import asyncio

import pytest
from kanal import Admin, AIOConsumer, NewTopic, Producer, TopicPartition
from kanal.devcluster.pytest_plugin import DevClusterFactory

pytestmark = pytest.mark.integration

GROUP = "auditors"


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, set[TopicPartition]]] = []

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self.events.append(("revoked", revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.events.append(("assigned", assigned))


async def consume(consumer: AIOConsumer, count: int) -> list[tuple[str, int, int]]:
    seen: list[tuple[str, int, int]] = []
    async with asyncio.timeout(40):
        while len(seen) < count:
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                seen.extend((tp.topic, tp.partition, r.offset) for r in records)
    return seen


async def test_pattern_listener_commit_and_resume(dev_cluster: DevClusterFactory) -> None:
    cluster = dev_cluster(brokers=1)
    with Admin(bootstrap_servers=cluster.bootstrap) as admin:
        admin.create_topics([NewTopic("audit-a", 2, 1), NewTopic("audit-b", 1, 1),
                             NewTopic("other", 1, 1)])
    with Producer(bootstrap_servers=cluster.bootstrap) as producer:
        for topic, partitions in (("audit-a", 2), ("audit-b", 1), ("other", 1)):
            for p in range(partitions):
                for i in range(5):
                    producer.send(topic, value=b"%d" % i, partition=p)
    options = {"bootstrap_servers": cluster.bootstrap, "group_id": GROUP,
               "auto_offset_reset": "earliest", "enable_auto_commit": False}
    listener = Recorder()
    consumer = AIOConsumer(**options)
    await consumer.start()
    consumer.subscribe(pattern="audit-.*", listener=listener)
    first = await consume(consumer, 15)
    assert {(t, p) for t, p, _ in first} == {("audit-a", 0), ("audit-a", 1), ("audit-b", 0)}
    a0 = TopicPartition("audit-a", 0)
    await consumer.commit({a0: 3})
    assert await consumer.committed(a0) == 3
    await consumer.commit()  # every consumed position
    assert await consumer.committed(TopicPartition("audit-b", 0)) == 5
    assert await consumer.committed(a0) == 5
    await consumer.commit({a0: 2})
    await consumer.stop()
    assert listener.events[0] == ("assigned", {a0, TopicPartition("audit-a", 1),
                                               TopicPartition("audit-b", 0)})
    assert listener.events[-1][0] == "revoked"

    async with AIOConsumer("audit-a", **options) as again:
        resumed = await consume(again, 3)
        assert sorted(resumed) == [("audit-a", 0, 2), ("audit-a", 0, 3), ("audit-a", 0, 4)]


async def test_a_static_member_gets_its_partitions_back(dev_cluster: DevClusterFactory) -> None:
    cluster = dev_cluster(brokers=1)
    with Admin(bootstrap_servers=cluster.bootstrap) as admin:
        admin.create_topics([NewTopic("static", 4, 1)])
    options = {"bootstrap_servers": cluster.bootstrap, "group_id": "statics",
               "auto_offset_reset": "earliest"}

    async def assigned(consumer: AIOConsumer, count: int) -> set[TopicPartition]:
        async with asyncio.timeout(40):
            while len(consumer.assignment()) != count:
                await consumer.getmany(timeout_ms=100)  # nothing produced: just waits
        return consumer.assignment()

    stays = AIOConsumer("static", group_instance_id="stays", **options)
    restarts = AIOConsumer("static", group_instance_id="restarts", **options)
    await stays.start()
    await restarts.start()
    try:
        await assigned(stays, 2)
        before = await assigned(restarts, 2)
        await restarts.stop()  # a static leave (-2): its partitions stay reserved
        assert len(stays.assignment()) == 2
        restarts = AIOConsumer("static", group_instance_id="restarts", **options)
        await restarts.start()
        assert await assigned(restarts, 2) == before
        assert len(stays.assignment()) == 2
    finally:
        await restarts.stop()
        await stays.stop()
