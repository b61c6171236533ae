"""AlterConfigs on TOPIC and BROKER resources over gRPC, against real etcd."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from kanal.meta.documents import TopicSpec
from kanal.meta.etcd import Etcd
from kanal.meta.layout import Layout
from kanal.v1 import common_pb2, controller_pb2
from kanal_controller.testing import SimulatedBrokers, eventually, metadata_state

if TYPE_CHECKING:
    from kanal.v1.controller_pb2_grpc import ControllerAsyncStub as Stub

E = common_pb2.ErrorCode
Resource = controller_pb2.ConfigResource
TOPIC, BROKER = Resource.Type.TOPIC, Resource.Type.BROKER


@pytest.fixture
async def topic(stub: Stub, brokers: SimulatedBrokers) -> Stub:
    """A topic `t` with retention.ms=1000 on the one live broker."""
    await brokers.start(1)

    async def created() -> bool:
        response = await stub.CreateTopics(controller_pb2.CreateTopicsRequest(topics=[
            controller_pb2.NewTopic(name="t", configs={"retention.ms": "1000"})]))
        return response.results[0].error_code in (E.NONE, E.TOPIC_ALREADY_EXISTS)
    await eventually(created, "topic t created")
    return stub


async def alter(stub: Stub, *resources: Resource,
                validate_only: bool = False) -> list[int]:
    response = await stub.AlterConfigs(controller_pb2.AlterConfigsRequest(
        resources=list(resources), validate_only=validate_only))
    return [r.error_code for r in response.results]


async def topic_configs(client: Etcd, layout: Layout) -> dict[str, str]:
    entry = await client.get(layout.topic("t"))
    assert entry is not None
    return TopicSpec.from_json(entry.value).configs


async def test_incremental_set_and_delete_on_a_topic(
        topic: Stub, etcd_client: Etcd, layout: Layout) -> None:
    codes = await alter(topic, Resource(type=TOPIC, name="t", set={"cleanup.policy": "compact"},
                                        delete=["retention.ms"]))
    assert codes == [E.NONE]
    assert await topic_configs(etcd_client, layout) == {"cleanup.policy": "compact"}
    described = await topic.DescribeTopics(controller_pb2.DescribeTopicsRequest(names=["t"]))
    assert described.topics[0].configs == {"cleanup.policy": "compact"}


async def test_validate_only_changes_nothing(
        topic: Stub, etcd_client: Etcd, layout: Layout) -> None:
    before = await metadata_state(etcd_client, layout)
    codes = await alter(topic, Resource(type=TOPIC, name="t", set={"retention.ms": "5"}),
                        validate_only=True)
    assert codes == [E.NONE]
    assert await metadata_state(etcd_client, layout) == before


REFUSED = [
    (Resource(type=TOPIC, name="missing", set={"retention.ms": "5"}),
     E.UNKNOWN_TOPIC_OR_PARTITION),
    (Resource(type=TOPIC, name="t", set={"no.such": "5"}), E.INVALID_CONFIG),
    (Resource(type=TOPIC, name="t", set={"min.insync.replicas": "0"}), E.INVALID_CONFIG),
    (Resource(type=TOPIC, name="t", delete=["no.such"]), E.INVALID_CONFIG),
    (Resource(type=TOPIC, name="t", set={"retention.ms": "5"}, delete=["retention.ms"]),
     E.INVALID_REQUEST),
    (Resource(type=TOPIC, name="bad/name", set={"retention.ms": "5"}),
     E.INVALID_TOPIC_EXCEPTION),
    (Resource(type=BROKER, name="1", set={"log.dirs": "/tmp"}), E.INVALID_CONFIG),
    (Resource(type=BROKER, name="one", set={"retention.ms": "5"}), E.INVALID_REQUEST),
    (Resource(type=Resource.Type.UNKNOWN, name="t"), E.INVALID_REQUEST),
]


@pytest.mark.parametrize(("resource", "code"), REFUSED,
                         ids=[f"{E.Name(c)}-{i}" for i, (_, c) in enumerate(REFUSED)])
async def test_refused_change_writes_nothing(topic: Stub, etcd_client: Etcd, layout: Layout,
                                             resource: Resource, code: int) -> None:
    before = await metadata_state(etcd_client, layout)
    assert await alter(topic, resource) == [code]
    assert await metadata_state(etcd_client, layout) == before


async def test_one_bad_resource_does_not_fail_the_others(
        topic: Stub, etcd_client: Etcd, layout: Layout) -> None:
    codes = await alter(topic,
                        Resource(type=TOPIC, name="t", set={"retention.ms": "oops"}),
                        Resource(type=BROKER, name="", set={"retention.ms": "60000"}))
    assert codes == [E.INVALID_CONFIG, E.NONE]
    assert await topic_configs(etcd_client, layout) == {"retention.ms": "1000"}


async def test_broker_configs_stored_per_broker_and_as_default(
        topic: Stub, etcd_client: Etcd, layout: Layout) -> None:
    assert await alter(topic, Resource(type=BROKER, name="default",
                                       set={"segment.bytes": "1048576"}),
                       Resource(type=BROKER, name="2", set={"retention.ms": "10"})) \
        == [E.NONE, E.NONE]
    default = await etcd_client.get(layout.broker_config(None))
    two = await etcd_client.get(layout.broker_config(2))
    assert default is not None and json.loads(default.value) == {"segment.bytes": "1048576"}
    assert two is not None and json.loads(two.value) == {"retention.ms": "10"}

    assert await alter(topic, Resource(type=BROKER, name="2", delete=["retention.ms"])) \
        == [E.NONE]
    assert await etcd_client.get(layout.broker_config(2)) is None
