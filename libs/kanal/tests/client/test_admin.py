"""Admin against a real controller: topics, configs, the cluster, and its error classes."""

from __future__ import annotations

import pytest
from kanal import Admin, ConfigResource, ConfigResourceType, NewTopic, Producer
from kanal.errors import (
    InvalidConfig,
    InvalidReplicationFactor,
    InvalidRequest,
    InvalidTopic,
    MessageTooLarge,
    TopicAlreadyExists,
    UnknownTopicOrPartition,
)

pytestmark = pytest.mark.integration


def test_topic_lifecycle(bootstrap: str) -> None:
    with Admin(bootstrap_servers=bootstrap) as admin:
        (created,) = admin.create_topics(
            [NewTopic("admin-life", 4, 1, topic_configs={"retention.ms": "60000"})]
        )
        assert created.error is None and created.topic_id
        assert "admin-life" in admin.list_topics()
        (described,) = admin.describe_topics(["admin-life"])
        assert [p.partition for p in described.partitions] == [0, 1, 2, 3]
        assert all(p.leader == 1 and p.replicas == (1,) for p in described.partitions)
        assert described.configs == {"retention.ms": "60000"}

        admin.incremental_alter_configs([ConfigResource(
            ConfigResourceType.TOPIC, "admin-life",
            configs={"cleanup.policy": "compact"}, delete=["retention.ms"],
        )])
        assert admin.describe_configs("admin-life") == {"cleanup.policy": "compact"}

        (deleted,) = admin.delete_topics(["admin-life"])
        assert deleted.error is None
        assert "admin-life" not in admin.list_topics()


def test_errors_are_raised_as_their_classes(bootstrap: str) -> None:
    with Admin(bootstrap_servers=bootstrap) as admin:
        admin.create_topics([NewTopic("admin-errors", 1, 1)])
        with pytest.raises(TopicAlreadyExists):
            admin.create_topics([NewTopic("admin-errors", 1, 1)])
        with pytest.raises(InvalidReplicationFactor):
            admin.create_topics([NewTopic("admin-rf", 1, 3)])  # one broker only
        with pytest.raises(InvalidTopic):
            admin.create_topics([NewTopic("bad name!", 1, 1)])
        with pytest.raises(UnknownTopicOrPartition):
            admin.delete_topics(["admin-never-was"])
        with pytest.raises(UnknownTopicOrPartition):
            admin.describe_topics(["admin-never-was"])
        with pytest.raises(InvalidConfig):
            admin.incremental_alter_configs([ConfigResource(
                ConfigResourceType.TOPIC, "admin-errors", configs={"retention.ms": "soon"})])


def test_results_instead_of_raising(bootstrap: str) -> None:
    with Admin(bootstrap_servers=bootstrap) as admin:
        results = admin.create_topics(
            [NewTopic("admin-ok", 1, 1), NewTopic("admin-ok", 1, 1), NewTopic("admin-bad", 1, 9)],
            raise_errors=False,
        )
        errors = {r.name: type(r.error) for r in results}
        assert errors["admin-bad"] is InvalidReplicationFactor
        assert admin.describe_topics(["admin-bad"], raise_errors=False) == []


def test_validate_only_creates_nothing(bootstrap: str) -> None:
    with Admin(bootstrap_servers=bootstrap) as admin:
        admin.create_topics([NewTopic("admin-dry", 2, 1)], validate_only=True)
        assert "admin-dry" not in admin.list_topics()


def test_broker_configs_can_be_set_and_removed(bootstrap: str) -> None:
    with Admin(bootstrap_servers=bootstrap) as admin:
        for name in ("1", "default"):
            (result,) = admin.incremental_alter_configs([ConfigResource(
                ConfigResourceType.BROKER, name, configs={"retention.ms": "3600000"})])
            assert result.error is None and result.resource_type is ConfigResourceType.BROKER
            admin.incremental_alter_configs([ConfigResource(
                ConfigResourceType.BROKER, name, delete=["retention.ms"])])
        with pytest.raises(InvalidRequest):
            admin.incremental_alter_configs([ConfigResource(ConfigResourceType.BROKER, "x")])


def test_describe_cluster_names_the_controller_and_brokers(bootstrap: str) -> None:
    with Admin(bootstrap_servers=bootstrap) as admin:
        cluster = admin.describe_cluster()
    assert cluster.controller is not None
    assert [b.broker_id for b in cluster.brokers] == [1]
    assert str(cluster.brokers[0].endpoint) == bootstrap


def test_topic_config_reaches_the_broker(bootstrap: str) -> None:
    with Admin(bootstrap_servers=bootstrap) as admin:
        admin.create_topics([NewTopic("admin-small", 1, 1,
                                      topic_configs={"max.message.bytes": "200"})])
    with Producer(bootstrap_servers=bootstrap, retries=0) as producer:
        future = producer.send("admin-small", value=b"x" * 1000)
        with pytest.raises(MessageTooLarge):
            future.get(timeout=10)
