"""Kafka's ThroughputThrottler (tools/ThroughputThrottler.java), ported.

The sender asks `should_throttle(amount_so_far, now)` before each send: true when the average
rate since the start is above the target. `throttle()` then sleeps one record's worth of
time, but only in chunks of at least 2 ms (sleeps shorter than that overshoot badly), keeping
the shortfall as a deficit for the next call. A target below 0 never throttles; 0 blocks for
good (Kafka's meaning: send nothing).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

_NS_PER_S = 1_000_000_000
_MIN_SLEEP_NS = 2_000_000


class ThroughputThrottler:
    def __init__(
        self,
        target_per_sec: float,
        start_ns: int,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.target_per_sec = target_per_sec
        self.start_ns = start_ns
        self.sleep_time_ns = int(_NS_PER_S / target_per_sec) if target_per_sec > 0 else 0
        self._sleep_deficit_ns = 0
        self._sleep = sleep
        self._wakeup = threading.Event()

    def should_throttle(self, amount_so_far: int, now_ns: int) -> bool:
        if self.target_per_sec < 0:
            return False
        elapsed_s = (now_ns - self.start_ns) / _NS_PER_S
        return elapsed_s > 0 and amount_so_far / elapsed_s > self.target_per_sec

    def throttle(self) -> None:
        if self.target_per_sec == 0:
            self._wakeup.wait()  # until `wakeup()`: Kafka's "throughput 0" pauses for good
            return
        self._sleep_deficit_ns += self.sleep_time_ns
        if self._sleep_deficit_ns >= _MIN_SLEEP_NS:
            started = time.monotonic_ns()
            self._sleep(self._sleep_deficit_ns / _NS_PER_S)
            self._sleep_deficit_ns = max(
                0, self._sleep_deficit_ns - (time.monotonic_ns() - started)
            )

    def wakeup(self) -> None:
        self._wakeup.set()
