"""Every refused produce or fetch has a defined error code, and a refused produce appends
nothing: the log end offset stays where it was and other partitions are unaffected."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import cast

import grpc
import pytest
from kanal.errors import (
    CorruptRecord,
    FencedLeaderEpoch,
    InvalidFetchSize,
    InvalidRequest,
    InvalidRequiredAcks,
    MessageTooLarge,
    NotEnoughReplicas,
    NotLeaderForPartition,
    OffsetOutOfRange,
    UnknownLeaderEpoch,
    UnknownTopicOrPartition,
)
from kanal.grpc_status import ERROR_CODE_KEY
from kanal.v1 import broker_pb2, broker_pb2_grpc
from kanal_broker.testing import (
    ClusterWriter,
    fetch_request,
    list_offsets_request,
    make_batch,
    produce_request,
    wait_for_leadership,
    wait_until,
)

from .conftest import BROKER_ID, SHARED_MESSAGE_MAX_BYTES


async def _log_end(stub: broker_pb2_grpc.BrokerAsyncStub, topic: str, partition: int = 0) -> int:
    reply = await stub.ListOffsets(list_offsets_request(topic, partition, -1))
    answer = reply.topics[0].partitions[0]
    assert answer.error_code == 0, answer.error_message
    return answer.offset


async def _produce_error(stub: broker_pb2_grpc.BrokerAsyncStub, topic: str, records: bytes,
                         *, partition: int = 0, acks: int = 1) -> tuple[int, str]:
    reply = await stub.Produce(produce_request(topic, partition, records, acks=acks))
    answer = reply.topics[0].partitions[0]
    assert answer.base_offset == -1
    return answer.error_code, answer.error_message


@pytest.fixture
async def topic(shared_writer: ClusterWriter, shared_stub: broker_pb2_grpc.BrokerAsyncStub,
                topic_name: str) -> str:
    """A topic led here, holding one batch of two records."""
    await shared_writer.create_topic(topic_name, partitions=2, replicas=[BROKER_ID])
    await wait_for_leadership(shared_stub, topic_name, [0, 1])
    reply = await shared_stub.Produce(produce_request(topic_name, 0, make_batch([b"1", b"2"])))
    assert reply.topics[0].partitions[0].error_code == 0
    return topic_name


async def test_unknown_topic_and_partition(shared_stub: broker_pb2_grpc.BrokerAsyncStub,
                                           topic: str) -> None:
    batch = make_batch([b"x"])
    code, message = await _produce_error(shared_stub, "no-such-topic", batch)
    assert code == UnknownTopicOrPartition.code and "no-such-topic" in message
    code, _ = await _produce_error(shared_stub, topic, batch, partition=7)
    assert code == UnknownTopicOrPartition.code
    assert await _log_end(shared_stub, topic) == 2


async def test_bad_acks_refused(shared_stub: broker_pb2_grpc.BrokerAsyncStub, topic: str) -> None:
    for acks in (2, -2, 100):
        code, message = await _produce_error(shared_stub, topic, make_batch([b"x"]), acks=acks)
        assert code == InvalidRequiredAcks.code and str(acks) in message
    assert await _log_end(shared_stub, topic) == 2


async def test_oversize_partition_data_refused_before_decoding(
        shared_stub: broker_pb2_grpc.BrokerAsyncStub, topic: str) -> None:
    huge = make_batch([b"v" * SHARED_MESSAGE_MAX_BYTES])
    code, message = await _produce_error(shared_stub, topic, huge)
    assert code == MessageTooLarge.code and "message.max.bytes" in message
    # Garbage over the cap gets the size error too: nothing was parsed.
    code, _ = await _produce_error(shared_stub, topic, b"\xff" * (SHARED_MESSAGE_MAX_BYTES + 1))
    assert code == MessageTooLarge.code
    assert await _log_end(shared_stub, topic) == 2


async def test_per_topic_max_message_bytes_enforced_by_the_log(
        shared_writer: ClusterWriter, shared_stub: broker_pb2_grpc.BrokerAsyncStub,
        topic_name: str) -> None:
    await shared_writer.create_topic(topic_name, replicas=[BROKER_ID],
                                     configs={"max.message.bytes": "200"})
    await wait_for_leadership(shared_stub, topic_name)
    code, _ = await _produce_error(shared_stub, topic_name, make_batch([b"v" * 500]))
    assert code == MessageTooLarge.code
    assert await _log_end(shared_stub, topic_name) == 0


async def test_corrupt_batches_refused(shared_stub: broker_pb2_grpc.BrokerAsyncStub,
                                       topic: str) -> None:
    good = make_batch([b"a", b"b"])
    flipped = bytearray(good)
    flipped[-1] ^= 0x01  # a record byte: the CRC no longer matches
    for records in (bytes(flipped), good[:-3], b"\x00" * 70, b"", good + good[:20]):
        code, _ = await _produce_error(shared_stub, topic, records)
        assert code == CorruptRecord.code, records[:16]
    assert await _log_end(shared_stub, topic) == 2


async def test_refused_partition_does_not_stop_the_others(
        shared_stub: broker_pb2_grpc.BrokerAsyncStub, topic: str) -> None:
    request = broker_pb2.ProduceRequest(acks=1, topics=[
        broker_pb2.TopicProduceData(topic=topic, partitions=[
            broker_pb2.PartitionProduceData(partition=0, records=b"garbage"),
            broker_pb2.PartitionProduceData(partition=1, records=make_batch([b"ok"]))])])
    bad, good = (await shared_stub.Produce(request)).topics[0].partitions
    assert bad.error_code == CorruptRecord.code
    assert good.error_code == 0 and good.base_offset == 0
    assert await _log_end(shared_stub, topic, 0) == 2
    assert await _log_end(shared_stub, topic, 1) == 1


async def test_not_leader_when_etcd_names_another_broker(
        shared_writer: ClusterWriter, shared_stub: broker_pb2_grpc.BrokerAsyncStub,
        topic_name: str) -> None:
    # Hosted here (a replica), but broker 2 leads.
    await shared_writer.create_topic(topic_name, replicas=[BROKER_ID, 2], leader=2)
    # ...and a topic this broker does not host at all.
    other = topic_name + "-elsewhere"
    await shared_writer.create_topic(other, replicas=[2])
    await shared_writer.create_topic(topic_name + "-probe", replicas=[BROKER_ID])
    await wait_for_leadership(shared_stub, topic_name + "-probe")  # metadata has arrived
    for name in (topic_name, other):
        code, message = await _produce_error(shared_stub, name, make_batch([b"x"]))
        assert code == NotLeaderForPartition.code and "leader in metadata: 2" in message
        fetched = await shared_stub.Fetch(fetch_request(name, 0, 0))
        assert fetched.topics[0].partitions[0].error_code == NotLeaderForPartition.code


async def test_acks_all_needs_min_insync_replicas(
        shared_writer: ClusterWriter, shared_stub: broker_pb2_grpc.BrokerAsyncStub,
        topic_name: str) -> None:
    await shared_writer.create_topic(topic_name, replicas=[BROKER_ID],
                                     configs={"min.insync.replicas": "2"})
    await wait_for_leadership(shared_stub, topic_name)
    code, _ = await _produce_error(shared_stub, topic_name, make_batch([b"x"]), acks=-1)
    assert code == NotEnoughReplicas.code
    reply = await shared_stub.Produce(produce_request(topic_name, 0, make_batch([b"x"])))
    assert reply.topics[0].partitions[0].error_code == 0  # acks=1 does not need the ISR
    assert await _log_end(shared_stub, topic_name) == 1


async def test_fetch_outside_the_log_and_with_wrong_epochs(
        shared_writer: ClusterWriter, shared_stub: broker_pb2_grpc.BrokerAsyncStub,
        topic_name: str) -> None:
    await shared_writer.create_topic(topic_name, replicas=[BROKER_ID], leader_epoch=5)
    await wait_for_leadership(shared_stub, topic_name)
    await shared_stub.Produce(produce_request(topic_name, 0, make_batch([b"x"])))

    async def fetch_code(offset: int, **kw: int) -> int:
        reply = await shared_stub.Fetch(fetch_request(topic_name, 0, offset, **kw))
        return reply.topics[0].partitions[0].error_code

    assert await fetch_code(2) == OffsetOutOfRange.code
    assert await fetch_code(-1) == OffsetOutOfRange.code
    assert await fetch_code(0, leader_epoch=4) == FencedLeaderEpoch.code
    assert await fetch_code(0, leader_epoch=6) == UnknownLeaderEpoch.code
    assert await fetch_code(0, leader_epoch=5) == 0
    assert await fetch_code(0, partition_max_bytes=-1) == InvalidFetchSize.code


async def test_bad_fetch_request_is_invalid_argument_with_the_kafka_code(
        shared_stub: broker_pb2_grpc.BrokerAsyncStub, topic: str) -> None:
    for bad in (fetch_request(topic, 0, 0, max_bytes=-1),
                fetch_request(topic, 0, 0, max_wait_ms=-5),
                fetch_request(topic, 0, 0, min_bytes=-1)):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await shared_stub.Fetch(bad)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        # grpc.aio metadata iterates as (key, value) pairs, whatever grpc-stubs says.
        pairs = cast("Sequence[tuple[str, str]]", caught.value.trailing_metadata() or ())
        trailers = dict(pairs)
        assert trailers[ERROR_CODE_KEY] == str(InvalidRequest.code)


async def test_produce_stream_answers_refused_messages_and_goes_on(
        shared_stub: broker_pb2_grpc.BrokerAsyncStub, topic: str) -> None:
    messages = [
        produce_request(topic, 1, make_batch([b"a"]), correlation_id=1),
        produce_request(topic, 1, b"corrupt", correlation_id=2),
        produce_request(topic, 1, make_batch([b"b"]), acks=3, correlation_id=3),
        produce_request("missing", 0, make_batch([b"c"]), correlation_id=4),
        produce_request(topic, 1, make_batch([b"d"]), correlation_id=5),
    ]

    async def requests() -> AsyncIterator[broker_pb2.ProduceRequest]:
        for message in messages:
            yield message

    answers = {reply.correlation_id: reply.topics[0].partitions[0]
               async for reply in shared_stub.ProduceStream(requests())}
    assert {k: (a.error_code, a.base_offset) for k, a in answers.items()} == {
        1: (0, 0), 2: (CorruptRecord.code, -1), 3: (InvalidRequiredAcks.code, -1),
        4: (UnknownTopicOrPartition.code, -1), 5: (0, 1)}


async def test_leadership_follows_the_partition_state(
        shared_writer: ClusterWriter, shared_stub: broker_pb2_grpc.BrokerAsyncStub,
        topic_name: str) -> None:
    await shared_writer.create_topic(topic_name, replicas=[BROKER_ID, 2], leader_epoch=1)
    await wait_for_leadership(shared_stub, topic_name)
    await shared_writer.set_partition_state(topic_name, 0, leader=2, leader_epoch=2,
                                            isr=[BROKER_ID, 2])

    async def code_now() -> int:
        reply = await shared_stub.Produce(produce_request(topic_name, 0, make_batch([b"x"])))
        return reply.topics[0].partitions[0].error_code

    async def deposed() -> bool:
        return await code_now() == NotLeaderForPartition.code

    await wait_until(deposed, what="the broker to step down")
    await shared_writer.set_partition_state(topic_name, 0, leader=BROKER_ID, leader_epoch=3,
                                            isr=[BROKER_ID, 2])
    await wait_for_leadership(shared_stub, topic_name)
    fetched = await shared_stub.Fetch(fetch_request(topic_name, 0, 0, leader_epoch=1))
    assert fetched.topics[0].partitions[0].error_code == FencedLeaderEpoch.code
    listed = await shared_stub.ListOffsets(list_offsets_request(topic_name, 0, -1))
    assert listed.topics[0].partitions[0].leader_epoch == 3
