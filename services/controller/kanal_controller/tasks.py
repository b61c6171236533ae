"""Owned background tasks: each is named, a crash is logged at once (not when someone
finally awaits it), and the owner cancels and awaits them all on shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class TaskOwner:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s crashed", task.get_name(),
                      exc_info=task.exception())

    async def cancel_all(self, timeout_s: float = 10.0) -> None:
        """Cancel every task and wait for them, at most `timeout_s`: a task stuck in a
        cleanup await must not hold the whole shutdown (it is logged and left behind)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if not tasks:
            return
        _, stuck = await asyncio.wait(tasks, timeout=timeout_s)
        for task in stuck:
            log.error("background task %s did not stop within %.0fs of cancellation",
                      task.get_name(), timeout_s)
