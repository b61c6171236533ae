"""A producer batch and the accumulator's settings and answers (see accumulator.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from kanal.client.futures import BatchResult
from kanal.records.builder import InputHeaders as Headers
from kanal.records.native_builder import (
    NO_HEADERS,
    AppendedRecord,
    RecordBatchEncoder,
    check_timestamp,
    header_list,
)
from kanal.types import TopicPartition

# Varint lengths, attributes and deltas a record adds beyond its key, value and headers.
RECORD_OVERHEAD = 21
HEADERS_OVERHEAD = 10


class ProducerBatch:
    """One batch under construction or waiting for its answer."""

    __slots__ = ("append_record", "attempts", "builder", "building", "closed", "created",
                 "payload", "producer_id", "record_count", "reserved", "result", "retry_at",
                 "sequence", "tp", "trace_headers")

    def __init__(self, tp: TopicPartition, builder: RecordBatchEncoder, reserved: int) -> None:
        self.tp = tp
        self.builder = builder
        # The encoder's per-record call, bound once; the accumulator passes record_count as
        # the offset delta and counts the records the encoder took.
        self.append_record = builder.append_record
        self.record_count = 0
        self.reserved = reserved
        self.result = BatchResult()
        self.created = time.monotonic()
        self.closed = False
        # Full and being built by the thread that filled it, outside the accumulator's lock:
        # not to be drained until built (RecordAccumulator._build_sealed).
        self.building = False
        self.attempts = 0
        self.retry_at = 0.0
        self.payload: bytes | bytearray | None = None
        # Set by an idempotent producer when the batch is first drained (idempotence.py).
        self.sequence: int | None = None
        self.producer_id = -1
        # The batch span's context as record headers, added to each record that carries no
        # context of its own; None while tracing is off (kanal.tracing.producer).
        self.trace_headers: Headers | None = None

    def try_append(
        self, timestamp_ms: int | None, key: bytes | None, value: bytes | None,
        headers: Headers | None,
    ) -> AppendedRecord | None:
        """Encode a record (under the accumulator's lock); None when it does not fit. No
        timestamp: the encoder reads the clock, and the answer tells the time it wrote."""
        if timestamp_ms is not None:
            check_timestamp(timestamp_ms)
        if self.trace_headers is not None:
            headers = with_trace(headers, self.trace_headers)
        appended = self.append_record(
            self.record_count, timestamp_ms, key, value,
            header_list(headers) if headers else NO_HEADERS,
        )
        if appended is not None:
            self.record_count += 1
        return appended

    def encoded(self) -> bytes | bytearray:
        """The batch bytes, built once (a retry resends the same bytes)."""
        if self.payload is None:
            self.payload = self.builder.build()
        return self.payload


@dataclass(frozen=True, slots=True)
class AccumulatorConfig:
    batch_size: int
    linger_s: float
    max_request_size: int
    delivery_timeout_s: float
    codec: int = 0
    idempotent: bool = False
    """Drain at most MAX_IN_FLIGHT batches of a partition per request, and never mix batches
    being retried with new ones (the broker matches a retried request as a whole)."""


@dataclass(frozen=True, slots=True)
class ReadyCheck:
    nodes: frozenset[int]
    """Brokers that lead at least one partition with a sendable batch."""
    next_check_s: float
    """When a batch not ready now will be (linger or backoff end); inf when none waits."""
    unknown_leaders: bool
    """Some partition with data has no known leader: metadata needs a refresh."""


def with_trace(headers: Headers | None, trace_headers: Headers) -> Headers:
    """A record's headers plus its batch's trace context, unless it carries its own."""
    if not headers:
        return trace_headers
    if any(name == "traceparent" for name, _ in headers):
        return headers
    return (*headers, *trace_headers)


def record_size(key: bytes | None, value: bytes | None, headers: Headers | None) -> int:
    size = RECORD_OVERHEAD + (len(key) if key else 0) + (len(value) if value else 0)
    if headers:
        for name, data in headers:
            size += HEADERS_OVERHEAD + len(name) + (len(data) if data else 0)
    return size
