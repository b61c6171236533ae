"""Produce and fetch through a real broker: offsets, bytes, budgets and long polls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import crc32c
from kanal.records.header import CODEC_GZIP, iter_batches, parse_header
from kanal.v1 import broker_pb2, broker_pb2_grpc
from kanal_broker.testing import (
    ClusterWriter,
    fetch_request,
    make_batch,
    make_kafka_python_batch,
    produce_request,
    wait_for_leadership,
)

from .conftest import BROKER_ID


async def _new_topic(writer: ClusterWriter, stub: broker_pb2_grpc.BrokerAsyncStub, name: str,
                     partitions: int = 1, configs: dict[str, str] | None = None) -> None:
    await writer.create_topic(name, partitions=partitions, replicas=[BROKER_ID],
                              configs=configs)
    await wait_for_leadership(stub, name, range(partitions))


def _partition(response: broker_pb2.FetchResponse) -> broker_pb2.FetchPartitionResponse:
    return response.topics[0].partitions[0]


async def test_fetch_returns_the_produced_batches_with_offsets_assigned(
        shared_writer: ClusterWriter, shared_stub: broker_pb2_grpc.BrokerAsyncStub,
        topic_name: str) -> None:
    await _new_topic(shared_writer, shared_stub, topic_name)
    # Ours, kafka-python's (an independent encoder) and a compressed one.
    sent = [make_batch([b"a", b"b", b"c"]),
            make_kafka_python_batch([b"d"], timestamp_ms=1_700_000_000_000),
            make_batch([b"e" * 100, b"f" * 100], codec=CODEC_GZIP)]
    bases = []
    for batch in sent:
        reply = await shared_stub.Produce(produce_request(topic_name, 0, batch))
        answer = reply.topics[0].partitions[0]
        assert answer.error_code == 0, answer.error_message
        bases.append(answer.base_offset)
    assert bases == [0, 3, 4]

    fetched = _partition(await shared_stub.Fetch(fetch_request(topic_name, 0, 0)))
    assert fetched.error_code == 0
    assert fetched.high_watermark == 6
    assert fetched.log_start_offset == 0
    got = [(pos, header) for pos, header in iter_batches(fetched.records)]
    assert [h.base_offset for _, h in got] == bases
    for (pos, header), original in zip(got, sent, strict=True):
        stored = fetched.records[pos:pos + header.size]
        # Only the base offset and leader epoch (outside the CRC) may differ.
        assert stored[21:] == original[21:]
        assert stored[16:17] == original[16:17]
        assert crc32c.crc32c(stored[21:]) == header.crc


async def test_fetch_from_the_middle_of_a_batch_and_at_the_end(
        shared_writer: ClusterWriter, shared_stub: broker_pb2_grpc.BrokerAsyncStub,
        topic_name: str) -> None:
    await _new_topic(shared_writer, shared_stub, topic_name)
    await shared_stub.Produce(produce_request(topic_name, 0, make_batch([b"x"] * 5)))
    middle = _partition(await shared_stub.Fetch(fetch_request(topic_name, 0, 3)))
    assert parse_header(middle.records).base_offset == 0  # clients skip records below 3
    end = _partition(await shared_stub.Fetch(fetch_request(topic_name, 0, 5)))
    assert end.error_code == 0 and end.records == b"" and end.high_watermark == 5


async def test_max_bytes_bounds_the_answer_but_one_batch_always_comes(
        shared_writer: ClusterWriter, shared_stub: broker_pb2_grpc.BrokerAsyncStub,
        topic_name: str) -> None:
    await _new_topic(shared_writer, shared_stub, topic_name, partitions=2)
    batch = make_batch([b"v" * 1000])
    for p in (0, 1):
        for _ in range(3):
            await shared_stub.Produce(produce_request(topic_name, p, batch))
    request = broker_pb2.FetchRequest(replica_id=-1, max_bytes=1, topics=[
        broker_pb2.FetchTopic(topic=topic_name, partitions=[
            broker_pb2.FetchPartition(partition=p, fetch_offset=0, partition_max_bytes=1 << 20,
                                      current_leader_epoch=-1) for p in (0, 1)])])
    reply = await shared_stub.Fetch(request)
    first, second = reply.topics[0].partitions
    assert len(first.records) == len(batch)  # one whole batch despite max_bytes=1
    assert second.records == b"" and second.error_code == 0 and second.high_watermark == 3

    request.max_bytes = 1 << 20
    for wanted in request.topics[0].partitions:
        wanted.partition_max_bytes = 2 * len(batch)
    reply = await shared_stub.Fetch(request)
    assert [len(p.records) for p in reply.topics[0].partitions] == [2 * len(batch)] * 2


async def test_long_poll_wakes_when_data_arrives(
        shared_writer: ClusterWriter, shared_stub: broker_pb2_grpc.BrokerAsyncStub,
        topic_name: str) -> None:
    await _new_topic(shared_writer, shared_stub, topic_name)
    poll = asyncio.ensure_future(shared_stub.Fetch(
        fetch_request(topic_name, 0, 0, min_bytes=1, max_wait_ms=60_000)))
    await asyncio.sleep(0.3)
    assert not poll.done()  # nothing to return yet: the fetch is parked
    await shared_stub.Produce(produce_request(topic_name, 0, make_batch([b"wake"])))
    fetched = _partition(await asyncio.wait_for(poll, 30))
    assert fetched.error_code == 0 and parse_header(fetched.records).records_count == 1


async def test_long_poll_answers_empty_after_max_wait(
        shared_writer: ClusterWriter, shared_stub: broker_pb2_grpc.BrokerAsyncStub,
        topic_name: str) -> None:
    await _new_topic(shared_writer, shared_stub, topic_name)
    fetched = _partition(await shared_stub.Fetch(
        fetch_request(topic_name, 0, 0, min_bytes=1, max_wait_ms=200)))
    assert fetched.error_code == 0 and fetched.records == b"" and fetched.high_watermark == 0


async def test_one_request_for_several_partitions(
        shared_writer: ClusterWriter, shared_stub: broker_pb2_grpc.BrokerAsyncStub,
        topic_name: str) -> None:
    await _new_topic(shared_writer, shared_stub, topic_name, partitions=3)
    request = broker_pb2.ProduceRequest(acks=-1, topics=[broker_pb2.TopicProduceData(
        topic=topic_name, partitions=[
            broker_pb2.PartitionProduceData(partition=p, records=make_batch([b"r"] * (p + 1)))
            for p in (2, 0, 1)])])
    reply = await shared_stub.Produce(request)
    answers = reply.topics[0].partitions
    assert [(a.partition, a.error_code, a.base_offset) for a in answers] == \
        [(2, 0, 0), (0, 0, 0), (1, 0, 0)]
    for p in range(3):
        fetched = _partition(await shared_stub.Fetch(fetch_request(topic_name, p, 0)))
        assert fetched.high_watermark == p + 1


async def test_produce_stream_keeps_partition_order_and_correlation_ids(
        shared_writer: ClusterWriter, shared_stub: broker_pb2_grpc.BrokerAsyncStub,
        topic_name: str) -> None:
    await _new_topic(shared_writer, shared_stub, topic_name, partitions=2)
    count = 40

    async def requests() -> AsyncIterator[broker_pb2.ProduceRequest]:
        for i in range(count):
            yield produce_request(topic_name, i % 2, make_batch([str(i).encode()]),
                                  correlation_id=1000 + i)

    answers = {}
    async for reply in shared_stub.ProduceStream(requests()):
        answers[reply.correlation_id] = reply.topics[0].partitions[0]
    assert sorted(answers) == [1000 + i for i in range(count)]
    for i in range(count):
        answer = answers[1000 + i]
        assert answer.error_code == 0
        assert answer.base_offset == i // 2  # arrival order within each partition


async def test_log_append_time_topic_stamps_the_broker_time(
        shared_writer: ClusterWriter, shared_stub: broker_pb2_grpc.BrokerAsyncStub,
        topic_name: str) -> None:
    await _new_topic(shared_writer, shared_stub, topic_name,
                     configs={"message.timestamp.type": "LogAppendTime"})
    reply = await shared_stub.Produce(
        produce_request(topic_name, 0, make_batch([b"old"], timestamp_ms=1000)))
    answer = reply.topics[0].partitions[0]
    assert answer.error_code == 0 and answer.log_append_time_ms > 1000
    fetched = _partition(await shared_stub.Fetch(fetch_request(topic_name, 0, 0)))
    header = parse_header(fetched.records)
    assert header.is_log_append_time and header.max_timestamp == answer.log_append_time_ms
