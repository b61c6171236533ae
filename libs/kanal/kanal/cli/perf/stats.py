"""Latency and throughput figures in the shape of Kafka's ProducerPerformance.Stats.

Latencies are sampled (every `sampling`-th record, at most ~500k samples as in Kafka) so
memory stays bounded for long runs; averages and maxima use every record. Percentiles are
Kafka's: the sorted samples at index int(p * n).
"""

from __future__ import annotations

import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MB = 1024 * 1024
_MAX_SAMPLES = 500_000
PERCENTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99, "p999": 0.999}


def percentile(sorted_values: array[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(int(fraction * len(sorted_values)), len(sorted_values) - 1)]


@dataclass(frozen=True, slots=True)
class Window:
    """One progress line's worth: what completed since the previous line."""

    records: int
    bytes: int
    elapsed_s: float
    latency_avg_ms: float
    latency_max_ms: float

    def line(self) -> str:
        rate = self.records / self.elapsed_s if self.elapsed_s > 0 else 0.0
        mb_rate = self.bytes / MB / self.elapsed_s if self.elapsed_s > 0 else 0.0
        return (
            f"{self.records} records sent, {rate:.1f} records/sec ({mb_rate:.2f} MB/sec), "
            f"{self.latency_avg_ms:.1f} ms avg latency, {self.latency_max_ms:.1f} ms max latency."
        )


class LatencyStats:
    """Thread-safe: completions arrive on the client's I/O thread."""

    def __init__(
        self, expected_records: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.sampling = max(1, expected_records // min(max(expected_records, 1), _MAX_SAMPLES))
        self._clock = clock
        self._lock = threading.Lock()
        self._samples: array[float] = array("d")
        self.started = clock()
        self.count = 0
        self.bytes = 0
        self.errors = 0
        self._latency_sum_ms = 0.0
        self._latency_max_ms = 0.0
        self._window = _WindowCounter(self.started)

    def record(self, index: int, latency_ms: float, size: int) -> None:
        with self._lock:
            self._add(index, latency_ms, size)

    def record_many(self, latencies: list[tuple[int, float]], size: int) -> None:
        """`record` for the records of one batch, (index, latency ms) each, under one lock."""
        with self._lock:
            for index, latency_ms in latencies:
                self._add(index, latency_ms, size)

    def _add(self, index: int, latency_ms: float, size: int) -> None:
        self.count += 1
        self.bytes += size
        self._latency_sum_ms += latency_ms
        self._latency_max_ms = max(self._latency_max_ms, latency_ms)
        self._window.add(latency_ms, size)
        if index % self.sampling == 0:
            self._samples.append(latency_ms)

    def record_error(self) -> None:
        with self._lock:
            self.errors += 1

    def take_window(self) -> Window:
        with self._lock:
            window, self._window = self._window.close(self._clock()), _WindowCounter(self._clock())
        return window

    def summary(self, finished: float | None = None) -> dict[str, Any]:
        """The figures `--json` prints: records, rates and latency percentiles."""
        with self._lock:
            elapsed = max((finished or self._clock()) - self.started, 1e-9)
            ordered = array("d", sorted(self._samples))
            latency = {
                "avg": self._latency_sum_ms / self.count if self.count else 0.0,
                **{name: percentile(ordered, fraction) for name, fraction in PERCENTILES.items()},
                "max": self._latency_max_ms,
            }
            return {
                "records": self.count,
                "records_per_sec": self.count / elapsed,
                "mb_per_sec": self.bytes / MB / elapsed,
                "latency_ms": {name: round(value, 3) for name, value in latency.items()},
                "errors": self.errors,
            }


def summary_line(figures: dict[str, Any]) -> str:
    """Kafka's closing line of kafka-producer-perf-test."""
    latency = figures["latency_ms"]
    return (
        f"{figures['records']} records sent, {figures['records_per_sec']:.1f} records/sec "
        f"({figures['mb_per_sec']:.2f} MB/sec), {latency['avg']:.2f} ms avg latency, "
        f"{latency['max']:.2f} ms max latency, {latency['p50']:.0f} ms 50th, "
        f"{latency['p95']:.0f} ms 95th, {latency['p99']:.0f} ms 99th, "
        f"{latency['p999']:.0f} ms 99.9th."
    )


class _WindowCounter:
    def __init__(self, started: float) -> None:
        self.started = started
        self.records = 0
        self.bytes = 0
        self.latency_sum_ms = 0.0
        self.latency_max_ms = 0.0

    def add(self, latency_ms: float, size: int) -> None:
        self.records += 1
        self.bytes += size
        self.latency_sum_ms += latency_ms
        self.latency_max_ms = max(self.latency_max_ms, latency_ms)

    def close(self, now: float) -> Window:
        average = self.latency_sum_ms / self.records if self.records else 0.0
        return Window(self.records, self.bytes, now - self.started, average, self.latency_max_ms)
