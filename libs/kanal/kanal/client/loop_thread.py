"""A private asyncio event loop in a daemon thread: what the sync clients run their asyncio
core on. Each sync client owns one; `close()` stops the loop and joins the thread."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from kanal.errors import ClientClosed, KanalTimeoutError

_T = TypeVar("_T")


class LoopThread:
    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()
        self._started.wait()

    @property
    def thread_id(self) -> int | None:
        return self._thread.ident

    @property
    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._started.set)
        try:
            self.loop.run_forever()
        finally:
            pending = asyncio.all_tasks(self.loop)
            for task in pending:
                task.cancel()
            if pending:
                self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def run(self, coro: Coroutine[Any, Any, _T], timeout_s: float | None) -> _T:
        """Run `coro` on the loop and wait for it; KanalTimeoutError after `timeout_s`."""
        if not self._thread.is_alive() or self.loop.is_closed():
            coro.close()
            raise ClientClosed("the client is closed")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout_s)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise KanalTimeoutError(f"operation did not finish within {timeout_s:g}s") from None

    def call_soon(self, callback: Callable[[], None]) -> None:
        """Schedule `callback` on the loop from any thread (a no-op once it stopped)."""
        if threading.get_ident() == self._thread.ident:
            callback()
        elif not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed between the check and the call
                self.loop.call_soon_threadsafe(callback)

    def stop(self, timeout_s: float | None = None) -> None:
        """Stop the loop (cancelling what still runs on it) and join the thread."""
        if self._thread.is_alive() and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.loop.stop)
        if threading.get_ident() != self._thread.ident:
            self._thread.join(timeout_s)
