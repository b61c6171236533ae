"""Trace context in record headers and gRPC metadata: what goes in comes out, the caller's
own headers are kept as they were, and headers that are not a valid traceparent give no
context rather than an error."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from kanal.tracing.carriers import (
    headers_with_span,
    metadata_with_span,
    parent_from_metadata,
    record_span_context,
)
from opentelemetry import trace

header_names = st.text(min_size=1, max_size=20).filter(
    lambda n: n not in ("traceparent", "tracestate"))
other_headers = st.lists(st.tuples(header_names, st.none() | st.binary(max_size=30)),
                         max_size=5)
span_contexts = st.builds(
    lambda trace_id, span_id, sampled: trace.SpanContext(
        trace_id, span_id, is_remote=False,
        trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED if sampled else 0)),
    st.integers(1, 2**128 - 1), st.integers(1, 2**64 - 1), st.booleans())


@given(other_headers, span_contexts)
def test_record_headers_round_trip(headers: list[tuple[str, bytes | None]],
                                   context: trace.SpanContext) -> None:
    carried = headers_with_span(headers, trace.NonRecordingSpan(context))
    assert carried[:len(headers)] == headers
    assert [name for name, _ in carried[len(headers):]] == ["traceparent"]
    found = record_span_context(carried)
    assert found is not None
    assert (found.trace_id, found.span_id, found.trace_flags) == (
        context.trace_id, context.span_id, context.trace_flags)
    assert found.is_remote


@given(other_headers, st.none() | st.binary(max_size=80))
def test_a_bad_traceparent_gives_no_context(headers: list[tuple[str, bytes | None]],
                                            value: bytes | None) -> None:
    # Whatever the bytes, never an exception; a context only for a well-formed value.
    found = record_span_context([*headers, ("traceparent", value)])
    if found is not None:
        assert value is not None
        assert found.is_valid


def test_records_without_a_traceparent_have_no_context() -> None:
    assert record_span_context([("traceparent-ish", b"x")]) is None
    assert record_span_context([]) is None


@given(span_contexts)
def test_grpc_metadata_round_trip(context: trace.SpanContext) -> None:
    base = (("kanal-client-id", "app"),)
    metadata = metadata_with_span(base, trace.NonRecordingSpan(context))
    assert tuple(metadata[:1]) == base
    parent = parent_from_metadata(metadata)
    assert parent is not None
    found = trace.get_current_span(parent).get_span_context()
    assert (found.trace_id, found.span_id) == (context.trace_id, context.span_id)
    assert parent_from_metadata(base) is None
