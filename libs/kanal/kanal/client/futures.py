"""Per-record futures that cost almost nothing to create.

A producer batch owns one `BatchResult` (one threading.Event, and one asyncio future only if
someone awaits). Every record appended to the batch gets a `FutureRecordMetadata`: a slotted
object holding its batch result and its index inside the batch, so `send()` never creates an
asyncio future or crosses threads. The offset of a record is the batch's base offset plus that
index, because the broker numbers a batch's records consecutively.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from kanal.client.records import RecordMetadata
from kanal.errors import KanalError, KanalTimeoutError
from kanal.types import TopicPartition

if TYPE_CHECKING:
    from opentelemetry.trace import SpanContext

log = logging.getLogger(__name__)

Callback = Callable[[], None]


class BatchResult:
    """The outcome of one produced batch, settable once from any thread."""

    __slots__ = ("_aio_future", "_callbacks", "_done", "_lock", "base_offset", "error",
                 "log_append_time", "traces")

    def __init__(self) -> None:
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callback] = []
        self._aio_future: asyncio.Future[None] | None = None
        self.base_offset = -1
        self.log_append_time = -1
        self.error: KanalError | None = None
        # Span contexts the batch's records carry (its own span's, and those of records sent
        # under a caller's span), for the request span (kanal.tracing.producer); None while
        # tracing is off.
        self.traces: list[SpanContext] | None = None

    @property
    def is_done(self) -> bool:
        return self._done.is_set()

    def succeed(self, base_offset: int, log_append_time: int = -1) -> None:
        self.base_offset = base_offset
        self.log_append_time = log_append_time
        self._finish()

    def fail(self, error: KanalError) -> None:
        self.error = error
        self._finish()

    def _finish(self) -> None:
        with self._lock:
            if self._done.is_set():
                return
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            _run_safely(callback)

    def add_done_callback(self, callback: Callback) -> None:
        """Run `callback()` once done: now if already done, else in the completing thread."""
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        _run_safely(callback)

    def wait(self, timeout: float | None) -> bool:
        return self._done.wait(timeout)

    async def wait_async(self) -> None:
        if self._done.is_set():
            return
        future = self._aio_future
        if future is None or future.get_loop() is not asyncio.get_running_loop():
            loop = asyncio.get_running_loop()
            future = self._aio_future = loop.create_future()
            self.add_done_callback(functools.partial(_resolve_threadsafe, future))
        await asyncio.shield(future)


def _resolve_threadsafe(future: asyncio.Future[None]) -> None:
    loop = future.get_loop()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        _resolve(future)
    elif not loop.is_closed():
        loop.call_soon_threadsafe(_resolve, future)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _run_safely(callback: Callback) -> None:
    try:
        callback()
    except Exception:
        log.exception("a producer callback raised")


class FutureRecordMetadata:
    """The future `send()` returns: `.get(timeout)` blocks, `await` suspends, callbacks chain.

    kafka-python's names: `get`, `is_done`, `succeeded`, `failed`, `value`, `exception`,
    `add_callback(fn, *args)` (called as `fn(*args, metadata)`), `add_errback`."""

    __slots__ = ("_batch", "_index", "_key_size", "_timestamp", "_tp", "_value_size")

    def __init__(  # noqa: PLR0917 - built once per record on the hot path
        self,
        batch: BatchResult,
        index: int,
        tp: TopicPartition,
        timestamp: int,
        key_size: int,
        value_size: int,
    ) -> None:
        self._batch = batch
        self._index = index
        self._tp = tp
        self._timestamp = timestamp
        self._key_size = key_size
        self._value_size = value_size

    @property
    def is_done(self) -> bool:
        return self._batch.is_done

    @property
    def batch_result(self) -> BatchResult:
        """The outcome shared by every record of the batch this record went into."""
        return self._batch

    def succeeded(self) -> bool:
        return self._batch.is_done and self._batch.error is None

    def failed(self) -> bool:
        return self._batch.is_done and self._batch.error is not None

    @property
    def exception(self) -> KanalError | None:
        return self._batch.error

    @property
    def value(self) -> RecordMetadata | None:
        if not self.succeeded():
            return None
        return self._metadata()

    def _metadata(self) -> RecordMetadata:
        batch = self._batch
        offset = batch.base_offset + self._index if batch.base_offset >= 0 else -1
        timestamp = batch.log_append_time if batch.log_append_time >= 0 else self._timestamp
        return RecordMetadata(
            self._tp.topic, self._tp.partition, offset, timestamp, self._key_size,
            self._value_size,
        )

    def get(self, timeout: float | None = None) -> RecordMetadata:
        if not self._batch.wait(timeout):
            raise KanalTimeoutError(f"no acknowledgement within {timeout}s")
        if self._batch.error is not None:
            raise self._batch.error
        return self._metadata()

    def __await__(self) -> Generator[Any, None, RecordMetadata]:
        yield from self._batch.wait_async().__await__()
        if self._batch.error is not None:
            raise self._batch.error
        return self._metadata()

    def add_callback(
        self, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> FutureRecordMetadata:
        """Call `fn(*args, metadata, **kwargs)` when the record is acknowledged."""

        def on_done() -> None:
            if self._batch.error is None:
                fn(*args, self._metadata(), **kwargs)

        self._batch.add_done_callback(on_done)
        return self

    def add_errback(
        self, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> FutureRecordMetadata:
        """Call `fn(*args, exception, **kwargs)` when the record fails."""

        def on_done() -> None:
            if self._batch.error is not None:
                fn(*args, self._batch.error, **kwargs)

        self._batch.add_done_callback(on_done)
        return self

    def add_both(
        self, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> FutureRecordMetadata:
        self.add_callback(fn, *args, **kwargs)
        return self.add_errback(fn, *args, **kwargs)

    def __repr__(self) -> str:
        state = "pending" if not self.is_done else ("failed" if self.failed() else "done")
        where = f"{self._tp.topic}-{self._tp.partition}"
        return f"<FutureRecordMetadata {where} #{self._index} {state}>"
