"""Group coordinator calls and follower replication under tracing, with real processes: the
consumer's heartbeat and commit are client spans whose context reaches the coordinator's
server spans, and a follower reports a `replica fetch` span for a round that brought
records."""

from __future__ import annotations

import pytest
from kanal import Admin, Consumer, NewTopic, Producer
from kanal.devcluster.pytest_plugin import DevClusterFactory
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from .collector import OtlpCollector

pytestmark = pytest.mark.integration

GROUP_RPC = "kanal.v1.GroupCoordinator/"


def test_heartbeat_and_commit_spans_reach_the_coordinator(
        dev_cluster: DevClusterFactory, spans: InMemorySpanExporter,
        collector: OtlpCollector) -> None:
    cluster = dev_cluster(brokers=1)
    with Admin(bootstrap_servers=cluster.bootstrap) as admin:
        admin.create_topics([NewTopic("audit", 1, 1)])
    with Producer(bootstrap_servers=cluster.bootstrap) as producer:
        producer.send("audit", value=b"login").get(30)
    with Consumer("audit", bootstrap_servers=cluster.bootstrap, group_id="auditors",
                  auto_offset_reset="earliest", enable_auto_commit=False,
                  consumer_timeout_ms=20_000) as consumer:
        next(consumer)
        consumer.commit()

    finished = spans.get_finished_spans()
    for method in ("ConsumerGroupHeartbeat", "OffsetCommit"):
        clients = [s for s in finished if s.name == GROUP_RPC + method]
        assert clients, f"no client span for {method}"
        assert all(s.kind is SpanKind.CLIENT for s in clients)
        ids = {s.context.span_id for s in clients if s.context is not None}
        # A call cut short by close() may never reach the coordinator: any one will do.
        server = collector.wait_for(GROUP_RPC + method, parents=ids)
        assert server.service == "kanal-broker"
        assert server.kind == 2  # SPAN_KIND_SERVER


def test_a_follower_reports_the_fetch_that_replicated_records(
        dev_cluster: DevClusterFactory, collector: OtlpCollector) -> None:
    cluster = dev_cluster(brokers=2)
    with Admin(bootstrap_servers=cluster.bootstrap) as admin:
        admin.create_topics([NewTopic("ledger", 1, 2)])
    # Not traced on the client side: the follower's span starts a trace of its own.
    with Producer(bootstrap_servers=cluster.bootstrap, acks="all") as producer:
        producer.send("ledger", value=b"debit").get(30)
    fetch = collector.wait_for("replica fetch")
    assert fetch.service == "kanal-broker"
    assert fetch.parent_span_id == 0
    assert fetch.attributes["kanal.topics"] == ["ledger"]
    assert isinstance(fetch.attributes["kanal.bytes"], int)
    assert fetch.attributes["kanal.bytes"] > 0
    # The broker continues traces and starts none: an untraced client leaves no Produce span.
    assert not [s for s in collector.spans() if s.name == "kanal.v1.Broker/Produce"]
