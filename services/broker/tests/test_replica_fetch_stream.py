"""The ReplicaFetch stream against a real leader, with the test standing in as follower 2:
answers in order with Fetch's semantics, the next request reports the follower's log end (so
acks=all completes then, and not before), an abandoned exchange never answers a later one,
consumers are sent to Fetch, and a leader without the stream is fetched from with Fetch."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest
from kanal.records.header import iter_batches
from kanal.v1 import broker_pb2, broker_pb2_grpc
from kanal_broker.replication.fetch_session import FetchSession
from kanal_broker.testing import (
    ClusterWriter,
    fetch_request,
    make_batch,
    produce_request,
    wait_for_leadership,
)

from .conftest import BROKER_ID

FOLLOWER = 2


def follower_fetch(topic: str, offset: int, *, max_wait_ms: int) -> broker_pb2.FetchRequest:
    request = fetch_request(topic, 0, offset, max_wait_ms=max_wait_ms, min_bytes=1)
    request.replica_id = FOLLOWER
    return request


def answer_of(response: broker_pb2.FetchResponse) -> broker_pb2.FetchPartitionResponse:
    return response.topics[0].partitions[0]


async def replicated_topic(writer: ClusterWriter, stub: broker_pb2_grpc.BrokerAsyncStub,
                           name: str) -> None:
    await writer.create_topic(name, replicas=[BROKER_ID, FOLLOWER])
    await wait_for_leadership(stub, name)


async def test_acks_all_completes_when_the_next_request_reports_the_follower_has_it(
        shared_writer: ClusterWriter, shared_stub: broker_pb2_grpc.BrokerAsyncStub,
        topic_name: str) -> None:
    await replicated_topic(shared_writer, shared_stub, topic_name)
    session = FetchSession(shared_stub, source=BROKER_ID)
    try:
        first = await session.fetch(follower_fetch(topic_name, 0, max_wait_ms=0), timeout_s=10)
        assert answer_of(first).error_code == 0
        assert answer_of(first).records == b""
        # Parked on the stream: woken by the append, answered without a new call.
        parked = asyncio.ensure_future(session.fetch(
            follower_fetch(topic_name, 0, max_wait_ms=10_000), timeout_s=20))
        produced = asyncio.ensure_future(shared_stub.Produce(
            produce_request(topic_name, 0, make_batch([b"a", b"b", b"c"]), acks=-1)))
        pushed = answer_of(await parked)
        assert [h.base_offset for _, h in iter_batches(pushed.records)] == [0]
        assert pushed.high_watermark == 0
        await asyncio.sleep(0.2)
        assert not produced.done()  # the follower has not said it holds offsets 0..2
        report = await session.fetch(follower_fetch(topic_name, 3, max_wait_ms=0),
                                     timeout_s=10)
        assert answer_of(report).high_watermark == 3
        reply = (await produced).topics[0].partitions[0]
        assert (reply.error_code, reply.base_offset) == (0, 0)
        assert session.streaming
    finally:
        session.close()


async def test_an_abandoned_long_poll_never_answers_the_next_request(
        shared_writer: ClusterWriter, shared_stub: broker_pb2_grpc.BrokerAsyncStub,
        topic_name: str) -> None:
    await replicated_topic(shared_writer, shared_stub, topic_name)
    await shared_stub.Produce(produce_request(topic_name, 0, make_batch([b"x", b"y"])))
    session = FetchSession(shared_stub, source=BROKER_ID)
    try:
        parked = asyncio.ensure_future(session.fetch(
            follower_fetch(topic_name, 2, max_wait_ms=10_000), timeout_s=20))
        await asyncio.sleep(0.3)
        parked.cancel()  # as the fetcher does when its partitions change
        with pytest.raises(asyncio.CancelledError):
            await parked
        # Answered at once with the data from 0: this request's answer, on a new stream,
        # not the parked one's (which would still be waiting for offset 2).
        again = await session.fetch(follower_fetch(topic_name, 0, max_wait_ms=10_000),
                                    timeout_s=5)
        assert [h.base_offset for _, h in iter_batches(answer_of(again).records)] == [0]
    finally:
        session.close()


async def test_a_consumer_is_refused_on_the_replica_stream(
        shared_stub: broker_pb2_grpc.BrokerAsyncStub, topic_name: str) -> None:
    call = shared_stub.ReplicaFetch(None)
    await call.write(fetch_request(topic_name, 0, 0))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call.read()
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "consumers use Fetch" in (refused.value.details() or "")



def older_broker(real: broker_pb2_grpc.BrokerAsyncStub) -> grpc.GenericRpcHandler[Any, Any]:
    """A broker from before ReplicaFetch: its Fetch is the real broker's, and every other
    method (the stream included) is UNIMPLEMENTED."""
    async def fetch(request: broker_pb2.FetchRequest,
                    context: object) -> broker_pb2.FetchResponse:
        return await real.Fetch(request)

    return grpc.method_handlers_generic_handler("kanal.v1.Broker", {
        "Fetch": grpc.unary_unary_rpc_method_handler(
            fetch, request_deserializer=broker_pb2.FetchRequest.FromString,
            response_serializer=broker_pb2.FetchResponse.SerializeToString)})


async def test_a_leader_without_the_stream_is_fetched_from_with_unary_calls(
        shared_writer: ClusterWriter, shared_stub: broker_pb2_grpc.BrokerAsyncStub,
        topic_name: str) -> None:
    await replicated_topic(shared_writer, shared_stub, topic_name)
    await shared_stub.Produce(produce_request(topic_name, 0, make_batch([b"x"])))
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((older_broker(shared_stub),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            session = FetchSession(broker_pb2_grpc.BrokerStub(channel), source=BROKER_ID)
            for _ in range(2):  # the fallback sticks: no stream is tried again
                answer = answer_of(await session.fetch(
                    follower_fetch(topic_name, 0, max_wait_ms=0), timeout_s=10))
                assert [h.base_offset for _, h in iter_batches(answer.records)] == [0]
                assert not session.streaming
    finally:
        await server.stop(None)
