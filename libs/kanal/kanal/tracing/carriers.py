"""Where trace context travels: record headers (producer to consumer, W3C `traceparent` and
`tracestate` as UTF-8 values) and gRPC metadata (client to broker/controller). Both go
through the globally configured propagator (W3C trace context unless the application set
another), so `OTEL_PROPAGATORS` is honoured.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.propagators.textmap import Getter, Setter

TRACEPARENT = "traceparent"

RecordHeaders = Sequence[tuple[str, bytes | None]]
Metadata = Sequence[tuple[str, str | bytes]]


class _HeaderSetter(Setter[list[tuple[str, bytes | None]]]):
    def set(self, carrier: list[tuple[str, bytes | None]], key: str, value: str) -> None:
        carrier.append((key, value.encode()))


class _HeaderGetter(Getter[RecordHeaders]):
    def get(self, carrier: RecordHeaders, key: str) -> list[str] | None:
        for name, value in carrier:
            if name == key and value is not None:
                return [value.decode("utf-8", "replace")]
        return None

    def keys(self, carrier: RecordHeaders) -> list[str]:
        return [name for name, _ in carrier]


class _MetadataSetter(Setter[list[tuple[str, str | bytes]]]):
    def set(self, carrier: list[tuple[str, str | bytes]], key: str, value: str) -> None:
        carrier.append((key, value))


class _MetadataGetter(Getter[Metadata]):
    def get(self, carrier: Metadata, key: str) -> list[str] | None:
        for name, value in carrier:
            if name == key:
                return [value.decode() if isinstance(value, bytes) else value]
        return None

    def keys(self, carrier: Metadata) -> list[str]:
        return [name for name, _ in carrier]


HEADER_SETTER = _HeaderSetter()
HEADER_GETTER = _HeaderGetter()
METADATA_SETTER = _MetadataSetter()
METADATA_GETTER = _MetadataGetter()


def has_traceparent(headers: Iterable[tuple[str, object]]) -> bool:
    return any(name == TRACEPARENT for name, _ in headers)


def headers_with_span(headers: RecordHeaders | None,
                      span: trace.Span) -> list[tuple[str, bytes | None]]:
    """A copy of `headers` plus the span's context (the caller's list is not changed)."""
    carrier = list(headers or ())
    propagate.inject(carrier, context=trace.set_span_in_context(span), setter=HEADER_SETTER)
    return carrier


def record_span_context(headers: RecordHeaders) -> trace.SpanContext | None:
    """The producer's span context a consumed record carries, None when it carries none."""
    if not has_traceparent(headers):
        return None
    context = propagate.extract(headers, getter=HEADER_GETTER)
    span_context = trace.get_current_span(context).get_span_context()
    return span_context if span_context.is_valid else None


def metadata_with_span(metadata: Metadata, span: trace.Span) -> list[tuple[str, str | bytes]]:
    carrier = list(metadata)
    propagate.inject(carrier, context=trace.set_span_in_context(span), setter=METADATA_SETTER)
    return carrier


def parent_from_metadata(metadata: Metadata | None) -> Context | None:
    """The caller's context from gRPC metadata, None when the request is not traced."""
    if not metadata or not has_traceparent(metadata):
        return None
    return propagate.extract(metadata, getter=METADATA_GETTER)
