"""Hypothesis drives CreateTopics, AlterConfigs, DeleteTopics and ControlledShutdown with odd
field values: the answer is always
a per-item error code or success (never a gRPC error or UNKNOWN_SERVER_ERROR), and a refused
item leaves etcd as it was."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kanal.meta.etcd import Etcd
from kanal.meta.layout import Layout
from kanal.topic_config import TOPIC_CONFIGS
from kanal.v1 import common_pb2, controller_pb2
from kanal_controller.testing import SimulatedBrokers, eventually, metadata_state

if TYPE_CHECKING:
    from kanal.v1.controller_pb2_grpc import ControllerAsyncStub as Stub

E = common_pb2.ErrorCode
KNOWN_CODES = {v.number for v in E.DESCRIPTOR.values} - {E.UNKNOWN_SERVER_ERROR}
INT32 = st.integers(-(2**31), 2**31 - 1)
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

names = st.one_of(
    st.text(max_size=30),
    st.text(max_size=300),
    st.from_regex(r"[a-zA-Z0-9._-]{1,12}", fullmatch=True),
    st.sampled_from(["t", "t.x", "t_x", "__internal", ".", "..", "a/b", "x" * 249]),
)
counts = st.one_of(st.integers(-3, 5), INT32)
config_names = st.one_of(st.sampled_from(sorted(TOPIC_CONFIGS)), st.text(max_size=20))
config_values = st.one_of(st.integers(-5, 2**64).map(str), st.text(max_size=10),
                          st.sampled_from(["true", "compact,delete", "LogAppendTime", " 7 "]))
configs = st.dictionaries(config_names, config_values, max_size=3)
assignments = st.lists(st.lists(st.integers(-2, 5), max_size=4), max_size=4)

new_topics = st.builds(
    controller_pb2.NewTopic,
    name=names,
    num_partitions=counts,
    replication_factor=counts,
    configs=configs,
    replica_assignment=assignments.map(
        lambda a: [controller_pb2.ReplicaList(broker_ids=ids) for ids in a]),
)

resources = st.builds(
    controller_pb2.ConfigResource,
    type=st.sampled_from([0, 2, 4, 3, 99]),
    name=st.one_of(names, st.sampled_from(["t", "1", "default", "", "-1", "٣"])),
    set=configs,
    delete=st.lists(config_names, max_size=3),
)


@pytest.fixture
async def cluster(stub: Stub, brokers: SimulatedBrokers) -> Stub:
    for broker_id in (1, 2, 3):
        await brokers.start(broker_id)

    async def created() -> bool:
        response = await stub.CreateTopics(controller_pb2.CreateTopicsRequest(topics=[
            controller_pb2.NewTopic(name="t", replication_factor=3)]))
        return response.results[0].error_code in (E.NONE, E.TOPIC_ALREADY_EXISTS)
    await eventually(created, "three brokers seen and topic t created")
    return stub


@FUZZ
@given(topics=st.lists(new_topics, min_size=1, max_size=3), validate_only=st.booleans())
async def test_create_topics_fuzz(cluster: Stub, etcd_client: Etcd, layout: Layout,
                                  topics: list[controller_pb2.NewTopic],
                                  validate_only: bool) -> None:
    before = await metadata_state(etcd_client, layout)
    response = await cluster.CreateTopics(controller_pb2.CreateTopicsRequest(
        topics=topics, validate_only=validate_only))
    after = await metadata_state(etcd_client, layout)
    assert [r.name for r in response.results] == [t.name for t in topics]
    for result in response.results:
        assert result.error_code in KNOWN_CODES, result
        assert (result.error_code == E.NONE) == bool(result.topic_id), result
        if result.error_code != E.NONE:
            assert result.error_message
            assert after.get(layout.topic(result.name)) == before.get(layout.topic(result.name))
    if validate_only or all(r.error_code != E.NONE for r in response.results):
        assert after == before
    else:
        created = {layout.topic(r.name) for r in response.results if r.error_code == E.NONE}
        changed = {k for k in after.keys() | before.keys() if after.get(k) != before.get(k)}
        assert {k for k in changed if k.startswith(layout.topics_prefix)} == created


@FUZZ
@given(resources=st.lists(resources, min_size=1, max_size=3), validate_only=st.booleans())
async def test_alter_configs_fuzz(cluster: Stub, etcd_client: Etcd, layout: Layout,
                                  resources: list[controller_pb2.ConfigResource],
                                  validate_only: bool) -> None:
    before = await metadata_state(etcd_client, layout)
    response = await cluster.AlterConfigs(controller_pb2.AlterConfigsRequest(
        resources=resources, validate_only=validate_only))
    after = await metadata_state(etcd_client, layout)
    assert len(response.results) == len(resources)
    for result in response.results:
        assert result.error_code in KNOWN_CODES, result
        assert (result.error_code == E.NONE) != bool(result.error_message), result
    if validate_only or all(r.error_code != E.NONE for r in response.results):
        assert after == before


@FUZZ
@given(names=st.lists(names, min_size=1, max_size=3))
async def test_delete_topics_fuzz(cluster: Stub, etcd_client: Etcd, layout: Layout,
                                  names: list[str]) -> None:
    # Topic "t" is the only topic; "t" itself is kept out so each example sees the same state.
    names = [n for n in names if n != "t"] or ["no-such-topic"]
    before = await metadata_state(etcd_client, layout)
    response = await cluster.DeleteTopics(controller_pb2.DeleteTopicsRequest(names=names))
    assert [r.name for r in response.results] == names
    for result in response.results:
        assert result.error_code in KNOWN_CODES - {E.NONE}, result
        assert result.error_message
    assert await metadata_state(etcd_client, layout) == before


@FUZZ
@given(broker_id=st.one_of(st.integers(-2, 5), INT32),
       broker_epoch=st.one_of(st.integers(-2, 5), st.integers(-(2**63), 2**63 - 1)))
async def test_controlled_shutdown_with_a_stale_or_unknown_epoch_changes_nothing(
    cluster: Stub, etcd_client: Etcd, layout: Layout, broker_id: int, broker_epoch: int,
) -> None:
    before = await metadata_state(etcd_client, layout)
    response = await cluster.ControlledShutdown(controller_pb2.ControlledShutdownRequest(
        broker_id=broker_id, broker_epoch=broker_epoch))
    after = await metadata_state(etcd_client, layout)
    assert response.error_code in KNOWN_CODES, response
    if response.error_code != E.NONE:
        assert response.error_message
        assert after == before
