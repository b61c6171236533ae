"""Acknowledgement timing for `kanal perf produce`, one callback per batch.

A record's latency is, as in Kafka's ProducerPerformance, from just before its `send()` to
the moment its acknowledgement reached the client. The records of a batch are acknowledged
together, so the tool registers one callback per batch (on the future's `batch_result`)
rather than a callback and an errback per record: in Python those cost the sending thread and
the client's I/O thread a few microseconds per record, time that would otherwise show up in
the very latencies being measured.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from kanal.cli.perf.stats import LatencyStats
from kanal.client.futures import BatchResult, FutureRecordMetadata
from kanal.errors import KanalError


class _Batch:
    """The records sent into one batch: (index, send time) each, until it is answered."""

    __slots__ = ("answered_at", "lock", "sent")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: list[tuple[int, float]] = []
        self.answered_at: float | None = None


class AckTimer:
    """`sent(future, index, sent_at)` after each send(); latencies go to `stats`, failures to
    `on_error` (once per failed record)."""

    def __init__(
        self, stats: LatencyStats, record_size: int, on_error: Callable[[KanalError], None],
        *, clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stats = stats
        self._record_size = record_size
        self._on_error = on_error
        self._clock = clock
        self._result: BatchResult | None = None
        self._batch = _Batch()

    def sent(self, future: FutureRecordMetadata, index: int, sent_at: float) -> None:
        result = future.batch_result
        if result is not self._result:
            self._result, self._batch = result, _Batch()
            batch = self._batch
            with batch.lock:
                batch.sent.append((index, sent_at))
            result.add_done_callback(lambda: self._answered(result, batch))
            return
        batch = self._batch
        with batch.lock:
            if batch.answered_at is None:
                batch.sent.append((index, sent_at))
                return
        # The batch was answered between this record's send() and now.
        self._settle(result, [(index, sent_at)], batch.answered_at)

    def _answered(self, result: BatchResult, batch: _Batch) -> None:
        now = self._clock()
        with batch.lock:
            batch.answered_at = now
            sent, batch.sent = batch.sent, []
        self._settle(result, sent, now)

    def _settle(
        self, result: BatchResult, sent: list[tuple[int, float]], answered_at: float
    ) -> None:
        if result.error is not None:
            for _ in sent:
                self._on_error(result.error)
            return
        self._stats.record_many(
            [(index, (answered_at - sent_at) * 1000.0) for index, sent_at in sent],
            self._record_size,
        )
