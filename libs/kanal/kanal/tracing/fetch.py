"""Fetch spans, recorded after the answer arrives and only for answers that carried records:
most rounds of an idle partition are empty long polls, not worth a span each. A consumer's
`fetch` and a follower's `replica fetch` (request to the end of the local appends) start
traces of their own: the broker never decodes records, so nothing on this path knows the
producers' contexts; the consumer's `receive` span links to those."""

from __future__ import annotations

from opentelemetry import trace

from kanal.tracing import attributes as attr
from kanal.tracing.activation import active_tracer
from kanal.v1 import broker_pb2


def fetch_span(name: str, broker_id: int, reply: broker_pb2.FetchResponse,
               start_ns: int) -> trace.Span | None:
    """A started span (the caller ends it) when tracing is on and `reply` carries records."""
    tracer = active_tracer()
    if tracer is None:
        return None
    sizes = [len(p.records) for t in reply.topics for p in t.partitions if p.records]
    if not sizes:
        return None
    topics = sorted({t.topic for t in reply.topics if any(p.records for p in t.partitions)})
    return tracer.start_span(
        name, kind=trace.SpanKind.CLIENT, start_time=start_ns,
        context=trace.set_span_in_context(trace.INVALID_SPAN),
        attributes={attr.SYSTEM: attr.SYSTEM_NAME, attr.BROKER_ID: broker_id,
                    "kanal.partitions": len(sizes), attr.BYTES: sum(sizes),
                    "kanal.topics": topics})
