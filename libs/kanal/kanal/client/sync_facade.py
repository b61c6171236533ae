"""What the sync clients (Producer, Consumer, Admin) share: an asyncio core run on a private
loop thread, calls bounded a second past their own deadline, and close on `with` exit."""

from __future__ import annotations

from collections.abc import Coroutine
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar

from kanal.client.loop_thread import LoopThread
from kanal.errors import ClientClosed

_T = TypeVar("_T")


class SyncFacade:
    _closed_message: ClassVar[str] = "the client is closed"
    _thread: LoopThread
    _closed: bool
    _timeout_s: float

    def _run(self, coro: Coroutine[Any, Any, _T], timeout_s: float | None = None) -> _T:
        """Run `coro` on the loop thread. The wait ends a second past the operation's own
        deadline, so the operation's own timeout error is the one the caller sees."""
        if self._closed:
            coro.close()
            raise ClientClosed(self._closed_message)
        return self._thread.run(coro, (timeout_s or self._timeout_s) + 1)

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
