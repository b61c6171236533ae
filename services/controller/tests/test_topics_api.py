"""CreateTopics / DeleteTopics / DescribeTopics over a real gRPC channel against real etcd."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import TYPE_CHECKING

import pytest
from kanal.meta.documents import PartitionState, TopicSpec
from kanal.meta.etcd import Etcd
from kanal.meta.layout import Layout
from kanal.v1 import common_pb2, controller_pb2
from kanal_controller.testing import SimulatedBrokers, eventually, metadata_state

if TYPE_CHECKING:
    from kanal.v1.controller_pb2_grpc import ControllerAsyncStub as Stub
E = common_pb2.ErrorCode
NewTopic = controller_pb2.NewTopic


@pytest.fixture
async def cluster(stub: Stub, brokers: SimulatedBrokers) -> Stub:
    """Three live brokers and an existing topic `a.b` (2 partitions, RF 2)."""
    for broker_id in (1, 2, 3):
        await brokers.start(broker_id)
    await wait_for_brokers(stub, 3)
    response = await create(stub, NewTopic(name="a.b", num_partitions=2, replication_factor=2))
    assert response.results[0].error_code == E.NONE, response
    return stub


async def wait_for_brokers(stub: Stub, count: int) -> None:
    # The controller learns of brokers through its watch; creating with RF=count proves it.
    async def seen() -> bool:
        response = await create(stub, NewTopic(name="probe", num_partitions=1,
                                               replication_factor=count), validate_only=True)
        return response.results[0].error_code == E.NONE
    await eventually(seen, f"{count} brokers live")


async def create(stub: Stub, *topics: NewTopic,
                 validate_only: bool = False) -> controller_pb2.CreateTopicsResponse:
    return await stub.CreateTopics(controller_pb2.CreateTopicsRequest(
        topics=list(topics), validate_only=validate_only))


async def test_create_writes_spec_and_partition_states(
        cluster: Stub, etcd_client: Etcd, layout: Layout) -> None:
    response = await create(cluster, NewTopic(name="orders", num_partitions=3,
                                              replication_factor=3,
                                              configs={"retention.ms": " 1000 "}))
    result = response.results[0]
    assert (result.name, result.error_code) == ("orders", E.NONE)
    uuid.UUID(result.topic_id)

    entry = await etcd_client.get(layout.topic("orders"))
    assert entry is not None
    spec = TopicSpec.from_json(entry.value)
    assert spec.topic_id == result.topic_id
    assert spec.configs == {"retention.ms": "1000"}
    assert spec.num_partitions == 3 and spec.replication_factor == 3
    for p, replicas in enumerate(spec.assignment):
        stored = await etcd_client.get(layout.partition("orders", p))
        assert stored is not None
        assert PartitionState.from_json(stored.value) == PartitionState(
            leader=replicas[0], leader_epoch=0, isr=replicas, partition_epoch=0)

    described = await cluster.DescribeTopics(controller_pb2.DescribeTopicsRequest(
        names=["orders"]))
    topic = described.topics[0]
    assert topic.topic_id == result.topic_id and topic.configs == {"retention.ms": "1000"}
    assert [p.partition for p in topic.partitions] == [0, 1, 2]
    assert [list(p.replicas) for p in topic.partitions] == spec.assignment
    everything = await cluster.DescribeTopics(controller_pb2.DescribeTopicsRequest())
    leaders = Counter(p.leader for t in everything.topics for p in t.partitions)
    assert sorted(leaders.values()) == [1, 2, 2], "new leaders go to the least-loaded brokers"


async def test_defaults_apply_when_counts_are_zero(cluster: Stub) -> None:
    await create(cluster, NewTopic(name="plain"))
    topic = (await cluster.DescribeTopics(controller_pb2.DescribeTopicsRequest(
        names=["plain"]))).topics[0]
    assert len(topic.partitions) == 1 and len(topic.partitions[0].replicas) == 1


async def test_explicit_assignment_is_used_as_given(cluster: Stub) -> None:
    assignment = [controller_pb2.ReplicaList(broker_ids=ids) for ids in ([3, 1], [2, 3])]
    response = await create(cluster, NewTopic(name="placed", replica_assignment=assignment))
    assert response.results[0].error_code == E.NONE
    topic = (await cluster.DescribeTopics(controller_pb2.DescribeTopicsRequest(
        names=["placed"]))).topics[0]
    assert [(list(p.replicas), p.leader) for p in topic.partitions] == [([3, 1], 3), ([2, 3], 2)]


REFUSED = [
    (NewTopic(name=""), E.INVALID_TOPIC_EXCEPTION),
    (NewTopic(name="a/b"), E.INVALID_TOPIC_EXCEPTION),
    (NewTopic(name=".."), E.INVALID_TOPIC_EXCEPTION),
    (NewTopic(name="x" * 250), E.INVALID_TOPIC_EXCEPTION),
    (NewTopic(name="ünïcode"), E.INVALID_TOPIC_EXCEPTION),
    (NewTopic(name="a_b"), E.INVALID_TOPIC_EXCEPTION),  # collides with a.b
    (NewTopic(name="a.b"), E.TOPIC_ALREADY_EXISTS),
    (NewTopic(name="t", num_partitions=-1), E.INVALID_PARTITIONS),
    (NewTopic(name="t", num_partitions=1_000_000), E.INVALID_PARTITIONS),
    (NewTopic(name="t", replication_factor=-1), E.INVALID_REPLICATION_FACTOR),
    (NewTopic(name="t", replication_factor=4), E.INVALID_REPLICATION_FACTOR),
    (NewTopic(name="t", configs={"no.such.config": "1"}), E.INVALID_CONFIG),
    (NewTopic(name="t", configs={"retention.ms": "soon"}), E.INVALID_CONFIG),
    (NewTopic(name="t", configs={"cleanup.policy": "shred"}), E.INVALID_CONFIG),
    (NewTopic(name="t", replica_assignment=[controller_pb2.ReplicaList(broker_ids=[1, 9])]),
     E.INVALID_REPLICA_ASSIGNMENT),
    (NewTopic(name="t", replica_assignment=[controller_pb2.ReplicaList(broker_ids=[1, 1])]),
     E.INVALID_REPLICA_ASSIGNMENT),
    (NewTopic(name="t", replica_assignment=[controller_pb2.ReplicaList(broker_ids=[1, 2]),
                                            controller_pb2.ReplicaList(broker_ids=[1])]),
     E.INVALID_REPLICA_ASSIGNMENT),
    (NewTopic(name="t", num_partitions=2,
              replica_assignment=[controller_pb2.ReplicaList(broker_ids=[1])]),
     E.INVALID_REQUEST),
]


@pytest.mark.parametrize(("topic", "code"), REFUSED,
                         ids=[f"{E.Name(c)}-{i}" for i, (_, c) in enumerate(REFUSED)])
async def test_refused_topic_writes_nothing(cluster: Stub, etcd_client: Etcd, layout: Layout,
                                            topic: NewTopic, code: int) -> None:
    before = await metadata_state(etcd_client, layout)
    response = await create(cluster, topic)
    assert response.results[0].error_code == code, response
    assert response.results[0].error_message
    assert await metadata_state(etcd_client, layout) == before


async def test_a_bad_topic_does_not_fail_the_others(cluster: Stub) -> None:
    response = await create(cluster, NewTopic(name="good-1"), NewTopic(name="bad/name"),
                            NewTopic(name="good-2"))
    assert [r.error_code for r in response.results] == [E.NONE, E.INVALID_TOPIC_EXCEPTION,
                                                        E.NONE]


async def test_duplicate_names_in_one_request_are_refused(
        cluster: Stub, etcd_client: Etcd, layout: Layout) -> None:
    before = await metadata_state(etcd_client, layout)
    response = await create(cluster, NewTopic(name="twice"), NewTopic(name="twice"))
    assert [r.error_code for r in response.results] == [E.INVALID_REQUEST] * 2
    assert await metadata_state(etcd_client, layout) == before


async def test_validate_only_answers_without_writing(
        cluster: Stub, etcd_client: Etcd, layout: Layout) -> None:
    before = await metadata_state(etcd_client, layout)
    response = await create(cluster, NewTopic(name="dry", num_partitions=4), validate_only=True)
    assert response.results[0].error_code == E.NONE
    assert await metadata_state(etcd_client, layout) == before


async def test_topic_larger_than_one_etcd_transaction(
        cluster: Stub, etcd_client: Etcd, layout: Layout) -> None:
    response = await create(cluster, NewTopic(name="wide", num_partitions=300))
    assert response.results[0].error_code == E.NONE
    assert len((await etcd_client.get_prefix(layout.topic_partitions_prefix("wide"))).entries) \
        == 300
    described = await cluster.DescribeTopics(controller_pb2.DescribeTopicsRequest(names=["wide"]))
    assert all(p.leader >= 1 for p in described.topics[0].partitions)


async def test_internal_topics_allowed_and_listed_only_on_request(cluster: Stub) -> None:
    assert (await create(cluster, NewTopic(name="__consumer_offsets"))).results[0].error_code \
        == E.NONE
    listed = await cluster.DescribeTopics(controller_pb2.DescribeTopicsRequest())
    assert [t.name for t in listed.topics] == ["a.b"]
    listed = await cluster.DescribeTopics(controller_pb2.DescribeTopicsRequest(
        include_internal=True))
    assert [(t.name, t.is_internal) for t in listed.topics] == [("__consumer_offsets", True),
                                                                 ("a.b", False)]


async def test_describe_unknown_topic_is_an_error_entry(cluster: Stub) -> None:
    response = await cluster.DescribeTopics(controller_pb2.DescribeTopicsRequest(
        names=["nope", "a.b"]))
    assert [(t.name, t.error_code) for t in response.topics] == [
        ("nope", E.UNKNOWN_TOPIC_OR_PARTITION), ("a.b", E.NONE)]


async def test_delete_removes_topic_and_partitions(
        cluster: Stub, etcd_client: Etcd, layout: Layout) -> None:
    response = await cluster.DeleteTopics(controller_pb2.DeleteTopicsRequest(
        names=["a.b", "missing"]))
    assert [r.error_code for r in response.results] == [E.NONE, E.UNKNOWN_TOPIC_OR_PARTITION]
    assert await metadata_state(etcd_client, layout) == {}
    # The name is free again, and a_b no longer collides.
    assert (await create(cluster, NewTopic(name="a_b"))).results[0].error_code == E.NONE


async def test_create_clears_partitions_left_by_an_unfinished_create(
        cluster: Stub, etcd_client: Etcd, layout: Layout) -> None:
    # What a controller that died between the chunks of a large create leaves behind.
    for p in range(5):
        await etcd_client.put(layout.partition("orphan", p), PartitionState(
            leader=1, leader_epoch=0, isr=[1]).to_json())
    assert (await create(cluster, NewTopic(name="orphan"))).results[0].error_code == E.NONE
    left = await etcd_client.get_prefix(layout.topic_partitions_prefix("orphan"))
    assert [e.key for e in left.entries] == [layout.partition("orphan", 0)]


async def test_replicas_spread_over_racks(stub: Stub, brokers: SimulatedBrokers) -> None:
    racks = {1: "a", 2: "a", 3: "b", 4: "b"}
    for broker_id, rack in racks.items():
        await brokers.start(broker_id, rack=rack)
    await wait_for_brokers(stub, 4)
    response = await create(stub, NewTopic(name="racked", num_partitions=8,
                                           replication_factor=2))
    assert response.results[0].error_code == E.NONE
    topic = (await stub.DescribeTopics(controller_pb2.DescribeTopicsRequest(
        names=["racked"]))).topics[0]
    for partition in topic.partitions:
        assert {racks[b] for b in partition.replicas} == {"a", "b"}
    assert sorted(Counter(p.leader for p in topic.partitions).values()) == [2, 2, 2, 2]
