"""Topics appearing, changing and going: logs are created, reconfigured and deleted."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import grpc
from kanal.errors import MessageTooLarge, UnknownTopicOrPartition
from kanal.records.header import iter_batches
from kanal.v1 import broker_pb2_grpc
from kanal_broker.testing import (
    BrokerProcess,
    ClusterWriter,
    fetch_request,
    list_offsets_request,
    make_batch,
    produce_request,
    wait_for_leadership,
    wait_until,
)

from .conftest import BROKER_ID


async def test_deleting_a_topic_removes_its_directories(
        broker: BrokerProcess, writer: ClusterWriter,
        stub: broker_pb2_grpc.BrokerAsyncStub) -> None:
    await writer.create_topic("doomed", partitions=2, replicas=[BROKER_ID])
    await wait_for_leadership(stub, "doomed", [0, 1])
    await stub.Produce(produce_request("doomed", 1, make_batch([b"x"])))
    dirs = [broker.data_dir / "doomed-0", broker.data_dir / "doomed-1"]
    assert all(d.is_dir() for d in dirs)

    await writer.delete_topic("doomed")

    async def gone() -> bool:
        return not any(d.exists() for d in dirs)

    await wait_until(gone, what="partition directories to be deleted")
    reply = await stub.Produce(produce_request("doomed", 1, make_batch([b"x"])))
    assert reply.topics[0].partitions[0].error_code == UnknownTopicOrPartition.code


async def test_recreated_topic_starts_empty(
        broker: BrokerProcess, writer: ClusterWriter,
        stub: broker_pb2_grpc.BrokerAsyncStub) -> None:
    await writer.create_topic("again", replicas=[BROKER_ID])
    await wait_for_leadership(stub, "again")
    await stub.Produce(produce_request("again", 0, make_batch([b"x"] * 3)))
    # Deleted and created again under a new topic id, as the controller would.
    await writer.create_topic("again", replicas=[BROKER_ID])

    async def empty() -> bool:
        reply = await stub.ListOffsets(list_offsets_request("again", 0, -1))
        answer = reply.topics[0].partitions[0]
        return answer.error_code == 0 and answer.offset == 0

    await wait_until(empty, what="the new topic's empty log")


async def test_partition_moved_away_is_deleted_here(
        broker: BrokerProcess, writer: ClusterWriter,
        stub: broker_pb2_grpc.BrokerAsyncStub) -> None:
    spec = await writer.create_topic("moving", replicas=[BROKER_ID])
    await wait_for_leadership(stub, "moving")
    await writer.put_raw(writer.layout.topic("moving"), type(spec)(
        name="moving", topic_id=spec.topic_id, assignment=[[2]]).to_json())
    directory = broker.data_dir / "moving-0"

    async def gone() -> bool:
        return not directory.exists()

    await wait_until(gone, what="the moved partition's directory to go")


async def test_retention_config_change_applies(
        broker_factory: Callable[..., BrokerProcess], writer: ClusterWriter) -> None:
    broker = broker_factory(retention_check_interval_ms=100)
    async with grpc.aio.insecure_channel(broker.endpoint) as channel:
        stub: broker_pb2_grpc.BrokerAsyncStub = broker_pb2_grpc.BrokerStub(channel)
        spec = await writer.create_topic("kept", replicas=[BROKER_ID],
                                         configs={"segment.bytes": "200"})
        await wait_for_leadership(stub, "kept")
        for _ in range(5):
            reply = await stub.Produce(produce_request("kept", 0, make_batch([b"v" * 100])))
            assert reply.topics[0].partitions[0].error_code == 0

        async def start_offset() -> int:
            reply = await stub.ListOffsets(list_offsets_request("kept", 0, -2))
            return reply.topics[0].partitions[0].offset

        await asyncio.sleep(0.5)  # several retention passes
        assert await start_offset() == 0  # 7 days of retention: nothing goes
        await writer.put_raw(writer.layout.topic("kept"), type(spec)(
            name="kept", topic_id=spec.topic_id, assignment=spec.assignment,
            configs={"segment.bytes": "200", "retention.ms": "1000"}).to_json())

        async def trimmed() -> bool:
            return await start_offset() > 0

        await wait_until(trimmed, what="retention to delete old segments")


async def test_topic_recreated_while_the_broker_was_down_does_not_inherit_old_records(
        broker_factory: Callable[..., BrokerProcess], writer: ClusterWriter) -> None:
    broker = broker_factory()
    old = await writer.create_topic("reborn", replicas=[BROKER_ID])
    async with grpc.aio.insecure_channel(broker.endpoint) as channel:
        stub: broker_pb2_grpc.BrokerAsyncStub = broker_pb2_grpc.BrokerStub(channel)
        await wait_for_leadership(stub, "reborn")
        await stub.Produce(produce_request("reborn", 0, make_batch([b"old"] * 4)))
    assert broker.stop() == 0

    await writer.delete_topic("reborn")
    await writer.create_topic("reborn", replicas=[BROKER_ID])
    restarted = broker_factory()
    async with grpc.aio.insecure_channel(restarted.endpoint) as channel:
        stub = broker_pb2_grpc.BrokerStub(channel)
        await wait_for_leadership(stub, "reborn")
        reply = await stub.ListOffsets(list_offsets_request("reborn", 0, -1))
        assert reply.topics[0].partitions[0].offset == 0
    # The old incarnation's data is moved aside, never deleted on a mismatch.
    assert (restarted.data_dir / f"reborn-0.{old.topic_id}-stray").is_dir()


async def test_compacted_topic_is_cleaned_in_the_background(
        broker_factory: Callable[..., BrokerProcess], writer: ClusterWriter) -> None:
    broker = broker_factory(retention_check_interval_ms=100)
    await writer.create_topic("latest", replicas=[BROKER_ID], configs={
        "cleanup.policy": "compact", "segment.bytes": "300",
        "min.cleanable.dirty.ratio": "0.01", "min.compaction.lag.ms": "0"})
    async with grpc.aio.insecure_channel(broker.endpoint) as channel:
        stub: broker_pb2_grpc.BrokerAsyncStub = broker_pb2_grpc.BrokerStub(channel)
        await wait_for_leadership(stub, "latest")
        written = 0
        for i in range(20):
            batch = make_batch([f"value-{i}".encode()], keys=[b"same-key"])
            reply = await stub.Produce(produce_request("latest", 0, batch))
            assert reply.topics[0].partitions[0].error_code == 0
            written += len(batch)

        async def stored_bytes() -> int:
            total, offset = 0, 0
            while True:
                reply = await stub.Fetch(fetch_request("latest", 0, offset))
                answer = reply.topics[0].partitions[0]
                if not answer.records:
                    return total
                total += len(answer.records)
                offset = [h for _, h in iter_batches(answer.records)][-1].next_offset

        async def compacted() -> bool:
            return await stored_bytes() < written

        await wait_until(compacted, what="the cleaner to drop superseded values")
        listed = await stub.ListOffsets(list_offsets_request("latest", 0, -1))
        assert listed.topics[0].partitions[0].offset == 20  # offsets are never reused


async def test_a_small_cleaner_key_map_still_compacts_to_one_record_per_key(
        broker_factory: Callable[..., BrokerProcess], writer: ClusterWriter) -> None:
    # A map of two keys: six keys need several passes, each picking up where the last ended.
    broker = broker_factory(retention_check_interval_ms=100,
                            extra_args=("--log-cleaner-dedupe-buffer-size", "300"))
    await writer.create_topic("many-keys", replicas=[BROKER_ID], configs={
        "cleanup.policy": "compact", "segment.bytes": "300",
        "min.cleanable.dirty.ratio": "0.01", "min.compaction.lag.ms": "0"})
    keys = [b"key-%d" % k for k in range(6)]
    async with grpc.aio.insecure_channel(broker.endpoint) as channel:
        stub: broker_pb2_grpc.BrokerAsyncStub = broker_pb2_grpc.BrokerStub(channel)
        await wait_for_leadership(stub, "many-keys")
        for round_ in range(5):
            for key in keys:
                batch = make_batch([b"%s=%d" % (key, round_)], keys=[key])
                reply = await stub.Produce(produce_request("many-keys", 0, batch))
                assert reply.topics[0].partitions[0].error_code == 0

        async def stored_batches() -> int:
            count, offset = 0, 0
            while True:
                reply = await stub.Fetch(fetch_request("many-keys", 0, offset))
                answer = reply.topics[0].partitions[0]
                if not answer.records:
                    return count
                headers = [h for _, h in iter_batches(answer.records)]
                count += len(headers)
                offset = headers[-1].next_offset

        async def converged() -> bool:
            # One record a batch: the six latest plus at most a segment's worth (~4) of
            # the active segment, which is never cleaned, out of the 30 written.
            return await stored_batches() <= len(keys) + 4

        await wait_until(converged, what="several bounded passes to compact every key")


async def test_broker_level_config_is_the_default_for_topics(
        broker: BrokerProcess, writer: ClusterWriter,
        stub: broker_pb2_grpc.BrokerAsyncStub) -> None:
    await writer.create_topic("plain", replicas=[BROKER_ID])
    await writer.create_topic("own", replicas=[BROKER_ID],
                              configs={"max.message.bytes": "100000"})
    await wait_for_leadership(stub, "plain")
    await wait_for_leadership(stub, "own")
    big = make_batch([b"v" * 500])

    async def produce_code(topic: str) -> int:
        reply = await stub.Produce(produce_request(topic, 0, big))
        return reply.topics[0].partitions[0].error_code

    assert await produce_code("plain") == 0
    await writer.put_raw(writer.layout.broker_config(None), b'{"max.message.bytes": "100000"}')
    await writer.put_raw(writer.layout.broker_config(BROKER_ID), b'{"max.message.bytes": "200"}')

    async def capped() -> bool:
        return await produce_code("plain") == MessageTooLarge.code

    await wait_until(capped, what="the broker's own default to apply")
    assert await produce_code("own") == 0  # a topic's override beats the broker default
