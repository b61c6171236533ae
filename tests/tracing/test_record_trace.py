"""The trace of records across real processes: the producer's span rides in each record's
`traceparent` header, the consumer's spans link to it, and the broker (exporting over OTLP
to an in-test collector) continues the producer's trace in its Produce span."""

from __future__ import annotations

import pytest
from kanal import Admin, Consumer, NewTopic, Producer
from kanal.devcluster.pytest_plugin import DevClusterFactory
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from .collector import OtlpCollector

pytestmark = pytest.mark.integration

TOPIC = "payments"
PRODUCE = "kanal.v1.Broker/Produce"


def _one(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    found = [s for s in spans if s.name == name]
    assert len(found) == 1, f"{len(found)} spans named {name!r}: {[s.name for s in spans]}"
    return found[0]


def _span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return int(span.context.span_id)


def _consumed_headers(bootstrap: str) -> dict[str, bytes | None]:
    with Consumer(TOPIC, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                  consumer_timeout_ms=15_000) as consumer:
        record = next(consumer)
    return dict(record.headers)


def test_a_batch_span_reaches_the_consumer_and_the_broker_continues_it(
        dev_cluster: DevClusterFactory, spans: InMemorySpanExporter,
        collector: OtlpCollector) -> None:
    cluster = dev_cluster(brokers=1)
    with Admin(bootstrap_servers=cluster.bootstrap) as admin:
        admin.create_topics([NewTopic(TOPIC, 1, 1)])
    with Producer(bootstrap_servers=cluster.bootstrap, acks="all") as producer:
        producer.send(TOPIC, value=b"42 EUR", headers=[("origin", b"checkout")]).get(30)

    finished = list(spans.get_finished_spans())
    batch = _one(finished, f"send {TOPIC}")
    # One request, or more when the first was answered with a retriable error (a leader not
    # ready yet on a busy machine): each is a child of the batch's span.
    requests = [s for s in finished if s.name == PRODUCE]
    assert requests
    assert batch.kind is SpanKind.PRODUCER
    assert all(r.kind is SpanKind.CLIENT for r in requests)
    assert batch.parent is None  # the batch starts the trace
    assert all(r.parent is not None and r.parent.span_id == _span_id(batch) for r in requests)
    assert (batch.attributes or {}).get("messaging.kafka.offset") == 0
    assert batch.context is not None
    trace_id = batch.context.trace_id

    headers = _consumed_headers(cluster.bootstrap)
    assert headers["origin"] == b"checkout"
    assert _ids(headers["traceparent"]) == (trace_id, _span_id(batch))

    finished = list(spans.get_finished_spans())
    fetches = [s for s in finished if s.name == "fetch"]
    assert fetches, "the fetch that brought the record has a span"
    assert all((s.attributes or {}).get("kanal.topics") == (TOPIC,) for s in fetches)
    for name in (f"receive {TOPIC}", f"process {TOPIC}"):
        span = _one(finished, name)
        assert span.kind is SpanKind.CONSUMER
        assert [link.context.trace_id for link in span.links] == [trace_id]
        assert [link.context.span_id for link in span.links] == [_span_id(batch)]

    # The broker's span of the request that appended the record continues the trace.
    append = collector.wait_for(f"append {TOPIC}", trace_id)
    produce = collector.wait_for(PRODUCE, trace_id, span_id=append.parent_span_id)
    assert produce.service == "kanal-broker"
    assert produce.kind == 2  # SPAN_KIND_SERVER in OTLP
    assert produce.parent_span_id in {_span_id(r) for r in requests}
    # acks=all: the wait for the in-sync replicas, under the same request's span.
    collector.wait_for(f"replicate {TOPIC}", trace_id, parents={produce.span_id})


def test_a_record_sent_under_a_recording_span_carries_a_span_of_that_trace(
        dev_cluster: DevClusterFactory, spans: InMemorySpanExporter) -> None:
    cluster = dev_cluster(brokers=1)
    with Admin(bootstrap_servers=cluster.bootstrap) as admin:
        admin.create_topics([NewTopic(TOPIC, 1, 1)])
    tracer = trace.get_tracer("test")
    with Producer(bootstrap_servers=cluster.bootstrap) as producer:
        with tracer.start_as_current_span("checkout") as checkout:
            future = producer.send(TOPIC, value=b"order 7")
        future.get(30)
        producer.send(TOPIC, value=b"untraced caller").get(30)

    finished = list(spans.get_finished_spans())
    create = _one(finished, f"create {TOPIC}")
    assert create.parent is not None
    assert create.parent.span_id == checkout.get_span_context().span_id
    assert create.context is not None
    assert create.context.trace_id == checkout.get_span_context().trace_id

    with Consumer(TOPIC, bootstrap_servers=cluster.bootstrap, auto_offset_reset="earliest",
                  consumer_timeout_ms=15_000) as consumer:
        first, second = next(consumer), next(consumer)
    parents = [_ids(dict(r.headers)["traceparent"]) for r in (first, second)]
    assert parents[0] == (create.context.trace_id, _span_id(create))
    batches = [s for s in spans.get_finished_spans() if s.name == f"send {TOPIC}"]
    assert parents[1] in {(b.context.trace_id, _span_id(b)) for b in batches
                          if b.context is not None}


def _ids(traceparent: bytes | None) -> tuple[int, int]:
    """(trace id, span id) of a W3C traceparent header value."""
    assert traceparent is not None
    _, trace_id, span_id, _ = traceparent.decode().split("-")
    return int(trace_id, 16), int(span_id, 16)
