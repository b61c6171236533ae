"""Metadata: brokers, the active controller and topics, answered from the metadata cache."""

from __future__ import annotations

from kanal.errors import LeaderNotAvailable, UnknownTopicOrPartition
from kanal.meta.documents import TopicSpec
from kanal.types import NO_LEADER
from kanal.v1 import broker_pb2, common_pb2

from kanal_broker.handlers.outcome import wire_code
from kanal_broker.metadata_cache import MetadataCache


def describe_cluster(cache: MetadataCache, cluster_id: str,
                     request: broker_pb2.MetadataRequest) -> broker_pb2.MetadataResponse:
    response = broker_pb2.MetadataResponse(cluster_id=cluster_id)
    for broker_id in sorted(cache.brokers):
        b = cache.brokers[broker_id]
        response.brokers.append(common_pb2.BrokerInfo(
            broker_id=b.broker_id, endpoint=common_pb2.Endpoint(host=b.host, port=b.port),
            rack=b.rack, metrics_port=b.metrics_port))
    active = cache.controller
    if active is not None:
        response.controller.CopyFrom(common_pb2.ControllerInfo(
            controller_id=active.lease.controller_id,
            endpoint=common_pb2.Endpoint(host=active.lease.host, port=active.lease.port),
            controller_epoch=active.epoch))
    names = list(request.topics) or sorted(cache.topics)
    for name in names:
        spec = cache.topics.get(name)
        if spec is None:
            missing = UnknownTopicOrPartition(f"unknown topic {name!r}")
            response.topics.append(broker_pb2.TopicMetadata(
                name=name, error_code=wire_code(missing), error_message=missing.message))
        else:
            response.topics.append(_describe_topic(cache, spec))
    return response


def _describe_topic(cache: MetadataCache, spec: TopicSpec) -> broker_pb2.TopicMetadata:
    topic = broker_pb2.TopicMetadata(name=spec.name, topic_id=spec.topic_id,
                                     is_internal=spec.internal)
    live = cache.brokers
    for p, replicas in enumerate(spec.assignment):
        view = cache.partition(spec.name, p)
        leader = view.state.leader if view else NO_LEADER
        described = broker_pb2.PartitionMetadata(
            partition=p, leader=leader,
            leader_epoch=view.state.leader_epoch if view else -1,
            replicas=replicas, isr=view.state.isr if view else [],
            offline_replicas=[r for r in replicas if r not in live])
        if leader == NO_LEADER:
            described.error_code = wire_code(LeaderNotAvailable())
        topic.partitions.append(described)
    return topic
