"""ListOffsets (earliest, latest, max timestamp, by timestamp) and Metadata from the cache."""

from __future__ import annotations

from kanal.errors import LeaderNotAvailable, UnknownTopicOrPartition
from kanal.meta.documents import BrokerRegistration, ControllerLease
from kanal.v1 import broker_pb2, broker_pb2_grpc
from kanal_broker.testing import (
    ClusterWriter,
    list_offsets_request,
    make_batch,
    produce_request,
    wait_for_leadership,
    wait_until,
)

from .conftest import BROKER_ID, CLUSTER_ID, Cluster


async def _list(stub: broker_pb2_grpc.BrokerAsyncStub, topic: str,
                timestamp: int) -> tuple[int, int, int]:
    reply = await stub.ListOffsets(list_offsets_request(topic, 0, timestamp))
    answer = reply.topics[0].partitions[0]
    return answer.error_code, answer.offset, answer.timestamp


async def test_list_offsets(shared_writer: ClusterWriter,
                            shared_stub: broker_pb2_grpc.BrokerAsyncStub, topic_name: str) -> None:
    await shared_writer.create_topic(topic_name, replicas=[BROKER_ID], leader_epoch=3)
    await wait_for_leadership(shared_stub, topic_name)
    assert await _list(shared_stub, topic_name, -2) == (0, 0, -1)
    assert await _list(shared_stub, topic_name, -1) == (0, 0, -1)
    assert await _list(shared_stub, topic_name, -3) == (0, -1, -1)  # empty log
    # Batches at offsets 0-1 (t=1000,1001), 2-4 (t=5000..5002), 5 (t=3000).
    for values, ts in (([b"a", b"b"], 1000), ([b"c", b"d", b"e"], 5000), ([b"f"], 3000)):
        reply = await shared_stub.Produce(
            produce_request(topic_name, 0, make_batch(values, timestamp_ms=ts)))
        assert reply.topics[0].partitions[0].error_code == 0
    assert await _list(shared_stub, topic_name, -2) == (0, 0, -1)
    assert await _list(shared_stub, topic_name, -1) == (0, 6, -1)
    assert await _list(shared_stub, topic_name, -3) == (0, 2, 5002)
    # Record precision, as Kafka answers: the first record at or after the time, and its
    # own timestamp (the log resolves inside the batch).
    assert await _list(shared_stub, topic_name, 0) == (0, 0, 1000)
    assert await _list(shared_stub, topic_name, 1001) == (0, 1, 1001)
    assert await _list(shared_stub, topic_name, 1002) == (0, 2, 5000)
    assert await _list(shared_stub, topic_name, 6000) == (0, -1, -1)
    listed = await shared_stub.ListOffsets(list_offsets_request(topic_name, 0, -1))
    assert listed.topics[0].partitions[0].leader_epoch == 3
    code, _, _ = await _list(shared_stub, "missing-topic", -1)
    assert code == UnknownTopicOrPartition.code


async def test_metadata(shared_cluster: Cluster, shared_writer: ClusterWriter,
                        shared_stub: broker_pb2_grpc.BrokerAsyncStub, topic_name: str) -> None:
    layout = shared_writer.layout
    # A second (fake) live broker on rack r2, and an active controller.
    await shared_writer.put_raw(layout.broker(7), BrokerRegistration(
        broker_id=7, host="127.0.0.9", port=19091, rack="r2").to_json())
    await shared_writer.put_raw(layout.controller_leader, ControllerLease(
        controller_id="c-1", host="127.0.0.1", port=19093).to_json())
    await shared_writer.create_topic(topic_name, partitions=2, replicas=[BROKER_ID, 7, 9])
    await shared_writer.set_partition_state(topic_name, 1, leader=-1, leader_epoch=4, isr=[9])
    await shared_writer.create_topic("__consumer_offsets", replicas=[BROKER_ID], internal=True)

    async def described() -> broker_pb2.MetadataResponse:
        return await shared_stub.Metadata(broker_pb2.MetadataRequest(
            topics=[topic_name, "__consumer_offsets", "nope"]))

    async def complete() -> bool:
        reply = await described()
        return (reply.HasField("controller") and len(reply.brokers) == 2
                and len(reply.topics[0].partitions) == 2
                and reply.topics[0].partitions[1].leader == -1
                and reply.topics[1].error_code == 0)

    await wait_until(complete, what="metadata to reach the broker")
    reply = await described()
    assert reply.cluster_id == CLUSTER_ID
    assert [(b.broker_id, b.endpoint.port, b.rack) for b in reply.brokers] == [
        (BROKER_ID, shared_cluster.broker.port, ""), (7, 19091, "r2")]
    assert reply.controller.controller_id == "c-1"
    assert reply.controller.endpoint.port == 19093
    assert reply.controller.controller_epoch > 0

    ours, internal, missing = reply.topics
    assert ours.name == topic_name and ours.error_code == 0 and not ours.is_internal
    p0, p1 = ours.partitions
    assert (p0.leader, p0.error_code, list(p0.replicas), list(p0.isr),
            list(p0.offline_replicas)) == (BROKER_ID, 0, [BROKER_ID, 7, 9], [BROKER_ID, 7, 9],
                                           [9])
    assert (p1.leader, p1.leader_epoch, p1.error_code) == (-1, 4, LeaderNotAvailable.code)
    assert internal.is_internal
    assert missing.name == "nope" and missing.error_code == UnknownTopicOrPartition.code

    everything = await shared_stub.Metadata(broker_pb2.MetadataRequest())
    names = [t.name for t in everything.topics]
    assert topic_name in names and "__consumer_offsets" in names and names == sorted(names)


async def test_unreadable_metadata_in_etcd_is_ignored(
        shared_writer: ClusterWriter, shared_stub: broker_pb2_grpc.BrokerAsyncStub,
        topic_name: str) -> None:
    layout = shared_writer.layout
    junk = {
        layout.topic("junk-topic"): b"{not json",
        layout.topic("half-topic"): b'{"name": "half-topic"}',
        layout.partition("junk-topic", 0): b"[]",
        layout.root + b"partitions/junk-topic/not-a-number": b"{}",
        layout.root + b"brokers/not-a-number": b"{}",
        layout.controller_leader: b"\xff\xfe",
        layout.root + b"unknown-kind/x": b"whatever",
    }
    for key, value in junk.items():
        await shared_writer.put_raw(key, value)
    await shared_writer.create_topic(topic_name, replicas=[BROKER_ID])
    await wait_for_leadership(shared_stub, topic_name)  # still following metadata
    reply = await shared_stub.Metadata(broker_pb2.MetadataRequest(
        topics=["junk-topic", "half-topic", topic_name]))
    codes = [t.error_code for t in reply.topics]
    assert codes == [UnknownTopicOrPartition.code, UnknownTopicOrPartition.code, 0]
