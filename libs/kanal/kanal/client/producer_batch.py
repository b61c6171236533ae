"""A producer batch and the accumulator's settings and answers (see accumulator.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from kanal.client.futures import BatchResult
from kanal.records.builder import BatchBuilder
from kanal.records.builder import InputHeaders as Headers
from kanal.types import TopicPartition

# Varint lengths, attributes and deltas a record adds beyond its key, value and headers.
RECORD_OVERHEAD = 21
HEADERS_OVERHEAD = 10


class ProducerBatch:
    """One batch under construction or waiting for its answer."""

    __slots__ = ("attempts", "builder", "closed", "created", "payload", "producer_id",
                 "reserved", "result", "retry_at", "sequence", "tp", "trace_headers")

    def __init__(self, tp: TopicPartition, builder: BatchBuilder, reserved: int) -> None:
        self.tp = tp
        self.builder = builder
        self.reserved = reserved
        self.result = BatchResult()
        self.created = time.monotonic()
        self.closed = False
        self.attempts = 0
        self.retry_at = 0.0
        self.payload: bytes | None = None
        # Set by an idempotent producer when the batch is first drained (idempotence.py).
        self.sequence: int | None = None
        self.producer_id = -1
        # The batch span's context as record headers, added to each record that carries no
        # context of its own; None while tracing is off (kanal.tracing.producer).
        self.trace_headers: Headers | None = None

    @property
    def record_count(self) -> int:
        return self.builder.record_count

    def encoded(self) -> bytes:
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
