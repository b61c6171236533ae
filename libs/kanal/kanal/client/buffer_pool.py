"""The producer's memory budget (`buffer_memory`): bytes reserved by open and unsent batches.

send() reserves a batch's bytes when it opens a batch and the sender releases them when the
batch is acknowledged or failed. When the budget is spent a sync send() blocks (up to
max_block_ms) on a condition, and an asyncio send() awaits a release notification, so a slow
cluster pushes back on producers instead of growing memory without bound.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from kanal.errors import KanalTimeoutError


class BufferPool:
    def __init__(self, total_bytes: int) -> None:
        self.total_bytes = total_bytes
        self._available = total_bytes
        self._cond = threading.Condition(threading.Lock())
        self._waiters = 0
        self._on_release: list[Callable[[], None]] = []

    @property
    def available(self) -> int:
        return self._available

    @property
    def has_waiters(self) -> bool:
        """Someone is blocked for memory: the sender should send whatever it has."""
        return self._waiters > 0

    def add_release_listener(self, listener: Callable[[], None]) -> None:
        self._on_release.append(listener)

    def try_reserve(self, nbytes: int) -> bool:
        with self._cond:
            if self._available >= nbytes:
                self._available -= nbytes
                return True
            return False

    def reserve(self, nbytes: int, timeout_s: float) -> None:
        """Take `nbytes`, blocking up to `timeout_s`; KanalTimeoutError when still short."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            self._waiters += 1
            try:
                while self._available < nbytes:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise KanalTimeoutError(
                            f"buffer_memory exhausted: {nbytes} bytes not freed within "
                            f"{timeout_s:g}s (max_block_ms)"
                        )
                    self._cond.wait(remaining)
                self._available -= nbytes
            finally:
                self._waiters -= 1

    def mark_waiting(self, delta: int) -> None:
        """An asyncio sender starts (+1) or stops (-1) waiting for memory."""
        with self._cond:
            self._waiters += delta

    def release(self, nbytes: int) -> None:
        with self._cond:
            self._available = min(self.total_bytes, self._available + nbytes)
            self._cond.notify_all()
        for listener in self._on_release:
            listener()
