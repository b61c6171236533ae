"""Producer spans, with a bounded cost per record.

- `send <topic>` (PRODUCER), one per batch: opened with the batch, ended when the batch is
  acknowledged or fails. Its context, encoded once, is the `traceparent` header of every
  record in the batch when the sampler kept the span. A span per record, as Kafka's Java
  instrumentation makes, costs about 15 us of Python per record even when the sampler drops
  it, five times the cost of sending the record; per batch it is spread over the batch's
  records (bench/tracing_overhead.py measures what remains).
- `create <topic>` (PRODUCER), one per record, only for records sent while the caller's own
  span is recording (sent while handling a traced request, say): such a record belongs to the
  caller's trace, so it carries its own context rather than the batch's.
- `kanal.v1.Broker/Produce` (CLIENT), one per Produce request carrying traced batches: a
  child of the first batch's span, linked to the others' (at most MAX_LINKS), its context
  sent in the gRPC metadata so that the broker's span continues the trace.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from kanal.tracing import attributes as attr
from kanal.tracing.activation import active_tracer
from kanal.tracing.carriers import (
    Metadata,
    RecordHeaders,
    has_traceparent,
    headers_with_span,
    metadata_with_span,
)

if TYPE_CHECKING:
    from kanal.client.futures import BatchResult, FutureRecordMetadata
    from kanal.client.producer_batch import ProducerBatch
    from kanal.types import TopicPartition

Append = Callable[[RecordHeaders | None], "FutureRecordMetadata"]
AppendAsync = Callable[[RecordHeaders | None], Awaitable["FutureRecordMetadata"]]

PRODUCE_METHOD = "kanal.v1.Broker/Produce"


class ProducerTracing:
    def __init__(self, tracer: trace.Tracer, client_id: str) -> None:
        self._tracer = tracer
        self._client_id = client_id

    @classmethod
    def if_active(cls, client_id: str) -> ProducerTracing | None:
        tracer = active_tracer()
        return None if tracer is None else cls(tracer, client_id)

    def _attributes(self, operation: str, topic: str) -> dict[str, str | int]:
        return {attr.SYSTEM: attr.SYSTEM_NAME, attr.OPERATION: operation,
                attr.OPERATION_TYPE: operation, attr.DESTINATION: topic,
                attr.CLIENT_ID: self._client_id}

    # ---- per batch (called by the accumulator, under its lock: keep it short) ---------------

    def open_batch(self, batch: ProducerBatch) -> None:
        """Start the batch's span and give the batch its trace headers."""
        tp = batch.tp
        attributes = self._attributes("send", tp.topic)
        attributes[attr.PARTITION] = str(tp.partition)
        # A root: the sender's batches outlive whatever span the first record's caller had.
        span = self._tracer.start_span(
            f"send {tp.topic}", kind=trace.SpanKind.PRODUCER, attributes=attributes,
            context=trace.set_span_in_context(trace.INVALID_SPAN))
        # Only a sampled batch's records carry its context: a link to a span that was never
        # recorded is of no use to a consumer, and the header costs about a microsecond and
        # 60 bytes per record, which sampling then keeps to the sampled share.
        if span.get_span_context().trace_flags.sampled:
            batch.trace_headers = tuple(headers_with_span((), span))
            _remember(batch.result, span.get_span_context())
        result = batch.result
        result.add_done_callback(lambda: _end_batch_span(span, result))

    # ---- per record, only under a recording caller span -------------------------------------

    def send(self, topic: str, partition: int | None, headers: RecordHeaders | None,
             append: Append) -> FutureRecordMetadata:
        """Append through `append`; under a recording caller span, inside a `create` span
        whose context the record carries (its batch's context otherwise)."""
        if not trace.get_current_span().is_recording() or (
                headers and has_traceparent(headers)):
            return append(headers)
        with trace.use_span(self._start_create(topic, partition), end_on_exit=True) as span:
            future = append(headers_with_span(headers, span))
            _remember(future.batch_result, span.get_span_context())
            return future

    async def send_async(self, topic: str, partition: int | None,
                         headers: RecordHeaders | None,
                         append: AppendAsync) -> FutureRecordMetadata:
        if not trace.get_current_span().is_recording() or (
                headers and has_traceparent(headers)):
            return await append(headers)
        with trace.use_span(self._start_create(topic, partition), end_on_exit=True) as span:
            future = await append(headers_with_span(headers, span))
            _remember(future.batch_result, span.get_span_context())
            return future

    def _start_create(self, topic: str, partition: int | None) -> trace.Span:
        attributes = self._attributes("create", topic)
        if partition is not None:
            attributes[attr.PARTITION] = str(partition)
        return self._tracer.start_span(f"create {topic}", kind=trace.SpanKind.PRODUCER,
                                       attributes=attributes)

    # ---- per request (the sender, on its loop) ---------------------------------------------

    @contextmanager
    def request(self, node: int, by_tp: Mapping[TopicPartition, Sequence[ProducerBatch]],
                metadata: Metadata) -> Iterator[Metadata]:
        """The metadata to send the Produce request with: with a span's context when the
        request carries traced batches, else `metadata` unchanged and no span."""
        contexts = [c for batches in by_tp.values() for b in batches
                    for c in (b.result.traces or ())]
        if not contexts:
            yield metadata
            return
        span = self._tracer.start_span(
            PRODUCE_METHOD,
            context=trace.set_span_in_context(trace.NonRecordingSpan(contexts[0])),
            kind=trace.SpanKind.CLIENT,
            links=[trace.Link(c) for c in contexts[1:attr.MAX_LINKS + 1]],
            attributes={
                "rpc.system": "grpc", "rpc.service": "kanal.v1.Broker", "rpc.method": "Produce",
                attr.SYSTEM: attr.SYSTEM_NAME, attr.BROKER_ID: node,
                attr.BATCH_COUNT: sum(b.record_count for bs in by_tp.values() for b in bs),
                attr.CLIENT_ID: self._client_id})
        with trace.use_span(span, end_on_exit=True):
            yield metadata_with_span(metadata, span)


def _end_batch_span(span: trace.Span, result: BatchResult) -> None:
    if result.error is not None:
        span.set_status(Status(StatusCode.ERROR, str(result.error)))
    else:
        span.set_attribute(attr.OFFSET, result.base_offset)
    span.end()


def _remember(result: BatchResult, context: trace.SpanContext) -> None:
    """Keep a span context on the batch for the request span's parent and links. Several
    threads may append to one batch: a lost race drops a link, never a record."""
    traces = result.traces
    if traces is None:
        result.traces = [context]
    elif len(traces) < attr.MAX_LINKS:
        traces.append(context)
