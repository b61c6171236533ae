"""Consumer spans: `receive` per poll that returned records, linked to the producer span of
each record (up to MAX_LINKS), and `process <topic>` per record handed out by iteration,
from the moment it is returned until the next one is asked for (as the iterator wrappers of
Kafka's instrumentations do). Both are linked rather than parented to the producer: one poll
gathers records of many traces, and a consumer's work is its own trace."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from opentelemetry import trace

from kanal.tracing import attributes as attr
from kanal.tracing.activation import active_tracer
from kanal.tracing.carriers import record_span_context

if TYPE_CHECKING:
    from kanal.client.records import ConsumerRecord
    from kanal.types import TopicPartition


class ConsumerTracing:
    def __init__(self, tracer: trace.Tracer, client_id: str, group_id: str | None) -> None:
        self._tracer = tracer
        self._common: dict[str, str] = {attr.SYSTEM: attr.SYSTEM_NAME,
                                        attr.CLIENT_ID: client_id}
        if group_id is not None:
            self._common[attr.GROUP] = group_id
        self._processing: trace.Span | None = None

    @classmethod
    def if_active(cls, client_id: str, group_id: str | None) -> ConsumerTracing | None:
        tracer = active_tracer()
        return None if tracer is None else cls(tracer, client_id, group_id)

    def received(self, records: Mapping[TopicPartition, Sequence[ConsumerRecord]]) -> None:
        links: list[trace.Link] = []
        count = 0
        for batch in records.values():
            count += len(batch)
            for record in batch:
                if len(links) >= attr.MAX_LINKS:
                    break
                context = record_span_context(record.headers)
                if context is not None:
                    links.append(trace.Link(context))
        topics = sorted({tp.topic for tp in records})
        attributes: dict[str, str | int] = {
            **self._common, attr.OPERATION: "receive", attr.OPERATION_TYPE: "receive",
            attr.BATCH_COUNT: count}
        if len(topics) == 1:
            attributes[attr.DESTINATION] = topics[0]
        self._tracer.start_span(
            f"receive {topics[0]}" if len(topics) == 1 else "receive",
            kind=trace.SpanKind.CONSUMER, links=links, attributes=attributes).end()

    def process(self, record: ConsumerRecord | None) -> None:
        """End the span of the record handed out before; start one for `record`."""
        if self._processing is not None:
            self._processing.end()
            self._processing = None
        if record is None:
            return
        context = record_span_context(record.headers)
        self._processing = self._tracer.start_span(
            f"process {record.topic}", kind=trace.SpanKind.CONSUMER,
            links=[trace.Link(context)] if context is not None else None,
            attributes={**self._common, attr.OPERATION: "process",
                        attr.OPERATION_TYPE: "process", attr.DESTINATION: record.topic,
                        attr.PARTITION: str(record.partition), attr.OFFSET: record.offset})
