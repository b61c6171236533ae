"""The dead letter queue starts its topic and producer once, however many reports arrive at
the same time (the runtime's and a sink's own can overlap): a real broker, two concurrent
sends, one producer, both records in the topic."""

from __future__ import annotations

import asyncio

import pytest
from kanal import AIOConsumer, AIOProducer, TopicPartition
from kanal.client.records import ConsumerRecord
from kanal_connect.runtime import sink_context
from kanal_connect.runtime.error_handling import ErrorSettings, FailureContext, Stage
from kanal_connect.runtime.sink_context import DeadLetterQueue


class CountedProducer(AIOProducer):
    started = 0

    async def start(self) -> None:
        CountedProducer.started += 1
        await super().start()


async def test_concurrent_reports_start_one_producer(cluster_bootstrap: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sink_context, "AIOProducer", CountedProducer)
    dlq = DeadLetterQueue(cluster_bootstrap, ErrorSettings.from_props({
        "errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq",
        "errors.deadletterqueue.topic.replication.factor": "1"}))
    failure = FailureContext("c", 0, Stage.TASK_PUT, ValueError("refused"), "t", 0, 0)
    records = [ConsumerRecord("t", 0, offset, 0, 0, None, b"v%d" % offset, (), -1, 2)
               for offset in range(2)]
    try:
        await asyncio.gather(*(dlq.send(record, failure) for record in records))
    finally:
        await dlq.close()
    assert CountedProducer.started == 1
    async with AIOConsumer(bootstrap_servers=cluster_bootstrap,
                           auto_offset_reset="earliest") as consumer:
        consumer.assign([TopicPartition("dlq", 0)])
        got: list[bytes] = []
        for _ in range(50):
            for batch in (await consumer.getmany(timeout_ms=200)).values():
                got += [record.value for record in batch]
            if len(got) >= 2:
                break
    assert sorted(got) == [b"v0", b"v1"]
