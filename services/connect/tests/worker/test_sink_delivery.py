"""A poll's records reach the sink task whole before a rebalance touches it. Delivering
yields to the event loop (so the task's write in flight and the next fetch move on), and
the group's heartbeat task may revoke partitions meanwhile: it must find every record
counted as consumed already `put`, or it would commit offsets of records the task never
saw. A real broker takes the commit."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from kanal import AIOAdmin, AIOConsumer, NewTopic, TopicPartition
from kanal.client.records import ConsumerRecord
from kanal_connect.api import SinkTask, SinkTaskContext
from kanal_connect.connectors.filestream.sink import FileStreamSink
from kanal_connect.data.record import SinkRecord
from kanal_connect.plugins import Plugin
from kanal_connect.runtime.converters import WorkerConverters, converters_for
from kanal_connect.runtime.metrics import ConnectMetrics
from kanal_connect.runtime.sink_task import YIELD_EVERY_RECORDS, SinkTaskRunner
from kanal_connect.runtime.task_base import TaskSetup
from kanal_connect.storage.keys import TaskId
from kanal_connect.storage.status_store import State

BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter"
TP = TopicPartition("deliveries", 0)


class RecordingSink(SinkTask):
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def version(self) -> str:
        return "test"

    async def start(self, props: Mapping[str, str], context: SinkTaskContext) -> None:
        pass

    async def put(self, records: Sequence[SinkRecord]) -> None:
        self.events.append(("put", [r.kafka_offset for r in records]))

    async def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        self.events.append(("flush", dict(current_offsets)))

    async def close(self, partitions: Sequence[TopicPartition]) -> None:
        self.events.append(("close", list(partitions)))

    async def stop(self) -> None:
        pass


async def _ignore_status(task: TaskId, state: State, trace: str | None) -> None:
    pass


async def _ignore_topic(task: TaskId, topic: str) -> None:
    pass


async def test_a_revocation_waits_for_the_poll_being_delivered(cluster_bootstrap: str) -> None:
    async with AIOAdmin(bootstrap_servers=cluster_bootstrap) as admin:
        await admin.create_topics([NewTopic(TP.topic, 1, 1)])
    props = {"key.converter": BYTES, "value.converter": BYTES}
    runner = SinkTaskRunner(TaskSetup(
        task_id=TaskId("deliveries", 0), plugin=Plugin("sink", FileStreamSink),
        connector_props=props, task_props=props, bootstrap=cluster_bootstrap,
        converters=WorkerConverters(), report_status=_ignore_status,
        report_topic=_ignore_topic, metrics=ConnectMetrics()))
    sink = RecordingSink()
    count = YIELD_EVERY_RECORDS * 5
    polled = [ConsumerRecord(TP.topic, 0, offset, 0, 0, None, b"v%d" % offset, (), -1, 2)
              for offset in range(count)]
    async with AIOConsumer(bootstrap_servers=cluster_bootstrap, group_id="deliveries",
                           enable_auto_commit=False) as consumer:
        consumer.subscribe([TP.topic])
        while TP not in consumer.assignment():  # joined the group: commits are accepted
            await consumer.getmany(timeout_ms=100)
        runner.converters = converters_for(props, WorkerConverters())
        runner._task, runner._consumer = sink, consumer  # what `execute` starts with
        delivery = asyncio.create_task(runner.deliver({TP: polled}))
        await asyncio.sleep(0)  # the delivery has converted a first run of records, yielded
        assert not delivery.done()
        await runner.partitions_revoked({TP})
        await delivery
        assert sink.events == [("put", list(range(count))), ("flush", {TP: count}),
                               ("close", [TP])]
        assert await consumer.committed(TP) == count
