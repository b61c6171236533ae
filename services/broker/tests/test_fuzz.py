"""Hypothesis against a live broker: whatever bytes or numbers arrive, the answer carries a
defined error code, a refused produce leaves the log as it was, and the broker keeps serving."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kanal.errors import (
    CorruptRecord,
    FencedLeaderEpoch,
    InvalidFetchSize,
    InvalidRequest,
    MessageTooLarge,
    OffsetOutOfRange,
    UnknownLeaderEpoch,
    UnknownTopicOrPartition,
)
from kanal.grpc_status import ERROR_CODE_KEY
from kanal.records.header import iter_complete_batches
from kanal.v1 import broker_pb2, broker_pb2_grpc
from kanal_broker.testing import (
    ClusterWriter,
    list_offsets_request,
    make_batch,
    produce_request,
    wait_for_leadership,
)

from .conftest import BROKER_ID, SHARED_MESSAGE_MAX_BYTES

TOPIC = "fuzzed"
VALID = make_batch([b"k", b"value", b""], keys=[b"a", None, b"c"], timestamp_ms=1_700_000_000)
# Bytes outside the CRC that the broker overwrites anyway: base offset and leader epoch.
REWRITTEN = set(range(0, 8)) | set(range(12, 16))
FLIPPABLE = [i for i in range(len(VALID)) if i not in REWRITTEN]
INT32 = st.integers(-(2**31), 2**31 - 1)
INT64 = st.integers(-(2**63), 2**63 - 1)
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
async def fuzzed(shared_writer: ClusterWriter,
                 shared_stub: broker_pb2_grpc.BrokerAsyncStub) -> broker_pb2_grpc.BrokerAsyncStub:
    """The topic exists, led here, with one valid batch in partition 0."""
    reply = await shared_stub.ListOffsets(list_offsets_request(TOPIC, 0, -1))
    if reply.topics[0].partitions[0].error_code == UnknownTopicOrPartition.code:
        await shared_writer.create_topic(TOPIC, partitions=2, replicas=[BROKER_ID],
                                         leader_epoch=3)
        await wait_for_leadership(shared_stub, TOPIC, [0, 1])
        await shared_stub.Produce(produce_request(TOPIC, 0, VALID))
    return shared_stub


async def _log_end(stub: broker_pb2_grpc.BrokerAsyncStub) -> int:
    reply = await stub.ListOffsets(list_offsets_request(TOPIC, 0, -1))
    return reply.topics[0].partitions[0].offset


def _flip(data: bytes, position: int, bit: int) -> bytes:
    flipped = bytearray(data)
    flipped[position] ^= 1 << bit
    return bytes(flipped)


broken_batches = st.one_of(
    st.binary(max_size=300),
    st.builds(_flip, st.just(VALID), st.sampled_from(FLIPPABLE), st.integers(0, 7)),
    st.builds(lambda n: VALID[:n], st.integers(0, len(VALID) - 1)),
    st.builds(lambda n, junk: VALID + VALID[:n] + junk, st.integers(1, len(VALID) - 1),
              st.binary(max_size=20)),
    st.builds(lambda extra: VALID + extra, st.binary(min_size=1, max_size=40)),
)


@FUZZ
@given(records=broken_batches, acks=st.sampled_from([0, 1, -1]))
async def test_broken_produce_is_refused_and_appends_nothing(
        fuzzed: broker_pb2_grpc.BrokerAsyncStub, records: bytes, acks: int) -> None:
    before = await _log_end(fuzzed)
    reply = await fuzzed.Produce(produce_request(TOPIC, 0, records, acks=acks))
    answer = reply.topics[0].partitions[0]
    expected = MessageTooLarge.code if len(records) > SHARED_MESSAGE_MAX_BYTES \
        else CorruptRecord.code
    assert answer.error_code == expected, answer.error_message
    assert answer.error_message and answer.base_offset == -1
    assert await _log_end(fuzzed) == before


async def test_still_serving_after_the_produce_fuzz(
        fuzzed: broker_pb2_grpc.BrokerAsyncStub) -> None:
    before = await _log_end(fuzzed)
    reply = await fuzzed.Produce(produce_request(TOPIC, 0, VALID))
    assert reply.topics[0].partitions[0].base_offset == before
    assert await _log_end(fuzzed) == before + 3


PARTITION_ERRORS = {0, OffsetOutOfRange.code, UnknownTopicOrPartition.code,
                    InvalidFetchSize.code, FencedLeaderEpoch.code, UnknownLeaderEpoch.code}


fetch_requests = st.builds(
    lambda partition, offset, partition_max_bytes, max_bytes, min_bytes, max_wait_ms, epoch,
    isolation: broker_pb2.FetchRequest(
        replica_id=-1, max_wait_ms=max_wait_ms, min_bytes=min_bytes, max_bytes=max_bytes,
        isolation_level=isolation, topics=[broker_pb2.FetchTopic(topic=TOPIC, partitions=[
            broker_pb2.FetchPartition(partition=partition, fetch_offset=offset,
                                      partition_max_bytes=partition_max_bytes,
                                      current_leader_epoch=epoch)])]),
    partition=st.integers(-2, 3),
    offset=st.one_of(st.integers(-2, 8), INT64),
    partition_max_bytes=st.one_of(st.integers(-2, 200), INT32),
    max_bytes=st.one_of(st.integers(-2, 200), INT32),
    min_bytes=st.one_of(st.integers(-1, 10), INT32),
    max_wait_ms=st.integers(-1, 30),
    epoch=st.integers(-1, 5),
    isolation=st.integers(-1, 2),
)


@FUZZ
@given(request=fetch_requests)
async def test_odd_fetches_get_defined_answers(
        fuzzed: broker_pb2_grpc.BrokerAsyncStub, request: broker_pb2.FetchRequest) -> None:
    bad_request = (min(request.max_bytes, request.min_bytes, request.max_wait_ms) < 0
                   or request.isolation_level not in (0, 1))
    try:
        reply = await fuzzed.Fetch(request)
    except grpc.aio.AioRpcError as exc:
        assert bad_request, exc
        assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT
        pairs = cast("Sequence[tuple[str, str]]", exc.trailing_metadata() or ())
        assert dict(pairs)[ERROR_CODE_KEY] == str(InvalidRequest.code)
        return
    assert not bad_request
    answer = reply.topics[0].partitions[0]
    assert answer.error_code in PARTITION_ERRORS, answer.error_message
    if answer.error_code:
        assert answer.error_message and not answer.records
        return
    batches = list(iter_complete_batches(answer.records))
    assert sum(h.size for _, h in batches) == len(answer.records)  # whole batches only
    assert all(h.next_offset <= answer.high_watermark for _, h in batches)


@FUZZ
@given(topic=st.sampled_from([TOPIC, "nope", ""]), partition=st.one_of(st.integers(-1, 3), INT32),
       current_epoch=st.one_of(st.integers(-2, 5), INT32),
       leader_epoch=st.one_of(st.integers(-2, 5), INT32), replica_id=st.integers(-2, 3))
async def test_odd_offset_for_leader_epoch_requests_get_defined_answers(
        fuzzed: broker_pb2_grpc.BrokerAsyncStub, *, topic: str, partition: int,
        current_epoch: int, leader_epoch: int, replica_id: int) -> None:
    log_end = await _log_end(fuzzed)
    reply = await fuzzed.OffsetForLeaderEpoch(broker_pb2.OffsetForLeaderEpochRequest(
        replica_id=replica_id, topics=[broker_pb2.OffsetForLeaderEpochTopic(
            topic=topic, partitions=[broker_pb2.OffsetForLeaderEpochPartition(
                partition=partition, current_leader_epoch=current_epoch,
                leader_epoch=leader_epoch)])]))
    answer = reply.topics[0].partitions[0]
    assert answer.error_code in PARTITION_ERRORS, answer.error_message
    if answer.error_code:
        assert answer.error_message
    else:
        assert -1 <= answer.end_offset <= log_end
    assert await _log_end(fuzzed) == log_end  # a question never changes the log


@FUZZ
@given(request=fetch_requests, replica_id=st.one_of(st.integers(-2, 5), INT32))
async def test_odd_replica_fetches_get_defined_answers(
        fuzzed: broker_pb2_grpc.BrokerAsyncStub, request: broker_pb2.FetchRequest,
        replica_id: int) -> None:
    # The follower stream takes Fetch's requests: a consumer's id or a malformed request ends
    # the stream with InvalidRequest; anything else gets one defined answer, and the log
    # stays as it was.
    request.replica_id = replica_id
    bad_request = (replica_id < 0
                   or min(request.max_bytes, request.min_bytes, request.max_wait_ms) < 0
                   or request.isolation_level not in (0, 1))
    log_end = await _log_end(fuzzed)
    call = fuzzed.ReplicaFetch()
    try:
        await call.write(request)
        reply = await call.read()
    except grpc.aio.AioRpcError as exc:
        assert bad_request, exc
        assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT
        pairs = cast("Sequence[tuple[str, str]]", exc.trailing_metadata() or ())
        assert dict(pairs)[ERROR_CODE_KEY] == str(InvalidRequest.code)
        return
    finally:
        call.cancel()
    assert not bad_request
    assert isinstance(reply, broker_pb2.FetchResponse)
    answer = reply.topics[0].partitions[0]
    assert answer.error_code in PARTITION_ERRORS, answer.error_message
    if answer.error_code:
        assert answer.error_message and not answer.records
    else:
        batches = list(iter_complete_batches(answer.records))
        assert sum(h.size for _, h in batches) == len(answer.records)  # whole batches only
    assert await _log_end(fuzzed) == log_end
