"""The asyncio clients, aiokafka style, against a real cluster."""

from __future__ import annotations

import asyncio

import pytest
from kanal import AIOAdmin, AIOConsumer, AIOProducer, NewTopic, TopicPartition
from kanal.errors import TopicAlreadyExists

pytestmark = pytest.mark.integration


async def test_produce_and_consume_with_asyncio(bootstrap: str) -> None:
    async with AIOAdmin(bootstrap_servers=bootstrap) as admin:
        await admin.create_topics([NewTopic("aio-round-trip", 2, 1)])
        with pytest.raises(TopicAlreadyExists):
            await admin.create_topics([NewTopic("aio-round-trip", 2, 1)])
        assert "aio-round-trip" in await admin.list_topics()

    async with AIOProducer(bootstrap_servers=bootstrap, linger_ms=1) as producer:
        assert await producer.partitions_for("aio-round-trip") == {0, 1}
        futures = [await producer.send("aio-round-trip", b"v%d" % i, key=b"k%d" % (i % 4))
                   for i in range(200)]
        await producer.flush()
        metadata = await asyncio.gather(*futures)
        single = await producer.send_and_wait("aio-round-trip", b"last", key=b"k0")
    assert all(m.offset >= 0 for m in metadata)
    assert single.partition == metadata[0].partition

    consumer = AIOConsumer("aio-round-trip", bootstrap_servers=bootstrap,
                           auto_offset_reset="earliest", consumer_timeout_ms=1500)
    await consumer.start()
    try:
        assert consumer.assignment() == {TopicPartition("aio-round-trip", 0),
                                         TopicPartition("aio-round-trip", 1)}
        first = await consumer.getone()
        rest = [record async for record in consumer]
        values = {first.value, *(r.value for r in rest)}
        assert values == {b"v%d" % i for i in range(200)} | {b"last"}
        assert len(rest) == 200
    finally:
        await consumer.stop()


async def test_getmany_seek_and_offsets(bootstrap: str) -> None:
    async with AIOAdmin(bootstrap_servers=bootstrap) as admin:
        await admin.create_topics([NewTopic("aio-seek", 1, 1)])
    tp = TopicPartition("aio-seek", 0)
    async with AIOProducer(bootstrap_servers=bootstrap) as producer:
        for i in range(5):
            await producer.send("aio-seek", b"%d" % i)
    async with AIOConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest") as consumer:
        consumer.assign([tp])
        assert await consumer.end_offsets([tp]) == {tp: 5}
        assert await consumer.beginning_offsets([tp]) == {tp: 0}
        consumer.seek(tp, 3)
        batch = await consumer.getmany(timeout_ms=5000)
        assert [r.value for r in batch[tp]] == [b"3", b"4"]
        assert await consumer.position(tp) == 5
        await consumer.seek_to_beginning(tp)
        assert await consumer.position(tp) == 0
        batch = await consumer.getmany(tp, timeout_ms=5000, max_records=2)
        assert [r.value for r in batch[tp]] == [b"0", b"1"]


async def test_send_awaits_buffer_memory_instead_of_failing(bootstrap: str) -> None:
    async with AIOAdmin(bootstrap_servers=bootstrap) as admin:
        await admin.create_topics([NewTopic("aio-pressure", 1, 1)])
    # Room for two batches only: later sends must wait for acknowledgements to free memory.
    async with AIOProducer(bootstrap_servers=bootstrap, buffer_memory=40_000,
                           batch_size=16_384, linger_ms=20) as producer:
        futures = [await producer.send("aio-pressure", b"x" * 100) for _ in range(3000)]
        metadata = await asyncio.gather(*futures)
    assert [m.offset for m in metadata] == list(range(3000))
