"""Prometheus metrics and the gRPC health service of a running broker."""

from __future__ import annotations

import asyncio
import urllib.request

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from kanal.v1 import broker_pb2_grpc
from kanal_broker.testing import (
    ClusterWriter,
    fetch_request,
    make_batch,
    produce_request,
    wait_for_leadership,
)
from prometheus_client.parser import text_string_to_metric_families

from .conftest import BROKER_ID, Cluster


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
        text = reply.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


async def test_metrics_follow_traffic(shared_cluster: Cluster, shared_writer: ClusterWriter,
                                      shared_stub: broker_pb2_grpc.BrokerAsyncStub,
                                      topic_name: str) -> None:
    await shared_writer.create_topic(topic_name, partitions=2, replicas=[BROKER_ID])
    await wait_for_leadership(shared_stub, topic_name, [0, 1])
    batch = make_batch([b"a", b"b", b"c"])
    for _ in range(2):
        await shared_stub.Produce(produce_request(topic_name, 1, batch))
    await shared_stub.Produce(produce_request("unknown-topic", 0, batch))
    fetched = await shared_stub.Fetch(fetch_request(topic_name, 1, 0))
    out = len(fetched.topics[0].partitions[0].records)

    m = await asyncio.to_thread(_scrape, shared_cluster.broker.metrics_port)
    topic = (("topic", topic_name),)
    assert m[("kanal_broker_messages_in_total", topic)] == 6
    assert m[("kanal_broker_bytes_in_total", topic)] == 2 * len(batch)
    assert m[("kanal_broker_bytes_out_total", topic)] == out == 2 * len(batch)
    p1 = (("partition", "1"), ("topic", topic_name))
    assert m[("kanal_broker_log_end_offset", p1)] == 6
    assert m[("kanal_broker_log_start_offset", p1)] == 0
    assert m[("kanal_broker_log_size_bytes", p1)] >= 2 * len(batch)
    assert m[("kanal_broker_requests_total",
              (("api", "Produce"), ("error", "UNKNOWN_TOPIC_OR_PARTITION")))] >= 1
    assert m[("kanal_broker_requests_total", (("api", "Produce"), ("error", "NONE")))] >= 2
    assert m[("kanal_broker_request_latency_seconds_count", (("api", "Fetch"),))] >= 1
    assert m[("kanal_broker_registered", ())] == 1
    assert m[("kanal_broker_partition_count", ())] >= 2
    assert m[("kanal_broker_leader_count", ())] >= 2


async def test_health_is_serving(shared_cluster: Cluster) -> None:
    async with grpc.aio.insecure_channel(shared_cluster.broker.endpoint) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "kanal.v1.Broker"):
            reply = await health.Check(health_pb2.HealthCheckRequest(service=service))
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
