"""The asyncio clients under tracing: the same batch/receive/process chain as the sync
ones, through AIOProducer.send and AIOConsumer iteration."""

from __future__ import annotations

import pytest
from kanal import Admin, AIOConsumer, AIOProducer, NewTopic
from kanal.devcluster.pytest_plugin import DevClusterFactory
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

pytestmark = pytest.mark.integration


async def test_aio_clients_carry_and_link_the_trace(
        dev_cluster: DevClusterFactory, spans: InMemorySpanExporter) -> None:
    cluster = dev_cluster(brokers=1)
    with Admin(bootstrap_servers=cluster.bootstrap) as admin:
        admin.create_topics([NewTopic("clicks", 2, 1)])
    async with AIOProducer(bootstrap_servers=cluster.bootstrap) as producer:
        for partition in (0, 1):
            await producer.send_and_wait("clicks", b"c", partition=partition)
        with trace.get_tracer("test").start_as_current_span("page view") as view:
            await producer.send_and_wait("clicks", b"traced caller", partition=0)
    create = next(s for s in spans.get_finished_spans() if s.name == "create clicks")
    assert create.parent is not None
    assert create.parent.span_id == view.get_span_context().span_id
    # send_and_wait acknowledges each record before the next: a batch, and a span, each.
    batches = {s.context.span_id: s for s in spans.get_finished_spans()
               if s.name == "send clicks" and s.context is not None}
    assert len(batches) == 3
    assert sorted(str((s.attributes or {}).get("messaging.destination.partition.id"))
                  for s in batches.values()) == ["0", "0", "1"]

    seen = 0
    async with AIOConsumer("clicks", bootstrap_servers=cluster.bootstrap,
                           auto_offset_reset="earliest", consumer_timeout_ms=15_000) as consumer:
        async for _record in consumer:
            seen += 1
            if seen == 3:
                break
    processes = [s for s in spans.get_finished_spans() if s.name == "process clicks"]
    assert len(processes) == 3
    # The first batch of partition 0 and of 1, and the traced caller's record.
    carried = {*batches, create.context.span_id} - {_third_batch(batches)}
    assert {link.context.span_id for s in processes for link in s.links} == carried
    receives = [s for s in spans.get_finished_spans() if s.name.startswith("receive")]
    assert {link.context.span_id for s in receives for link in s.links} == carried


def _third_batch(batches: dict[int, ReadableSpan]) -> int:
    """The batch that carried only the traced caller's record (its own context instead)."""
    return max(batches, key=lambda span_id: batches[span_id].start_time or 0)
