"""What source and sink task runners share: set-up, the target state (running or paused),
status reports, and a guarded run whose failure ends in FAILED with the trace while the
worker carries on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from kanal_connect.chain import TransformationChain, build_chain
from kanal_connect.plugins import Plugin
from kanal_connect.runtime.converters import ConverterPair, WorkerConverters, converters_for
from kanal_connect.runtime.error_handling import ErrorSettings, RetryWithTolerance
from kanal_connect.runtime.metrics import ConnectMetrics
from kanal_connect.storage.keys import TaskId
from kanal_connect.storage.status_store import State

log = logging.getLogger(__name__)

StatusReporter = Callable[[TaskId, State, str | None], Awaitable[None]]
TopicReporter = Callable[[TaskId, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class TaskSetup:
    """Everything a task runner needs, built by the worker from the config topic."""

    task_id: TaskId
    plugin: Plugin
    connector_props: Mapping[str, str]
    task_props: Mapping[str, str]
    bootstrap: str
    converters: WorkerConverters
    report_status: StatusReporter
    report_topic: TopicReporter
    metrics: ConnectMetrics
    offset_flush_interval_s: float = 5.0


class TaskRunner(ABC):
    def __init__(self, setup: TaskSetup) -> None:
        self.setup = setup
        self.id = setup.task_id
        self.labels = (self.id.connector, str(self.id.task))
        self._stopping = asyncio.Event()
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._runner: asyncio.Task[None] | None = None
        self.state = State.UNASSIGNED
        self.chain: TransformationChain = TransformationChain()
        self.converters: ConverterPair | None = None
        self.errors = RetryWithTolerance(ErrorSettings(), self.id.connector, self.id.task)

    def start(self, paused: bool) -> None:
        if paused:
            self._resumed.clear()
        self._runner = asyncio.create_task(self._guarded(), name=f"task-{self.id}")

    @property
    def paused(self) -> bool:
        return not self._resumed.is_set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def pause(self) -> None:
        self._resumed.clear()

    def resume(self) -> None:
        self._resumed.set()

    async def _report(self, state: State, trace: str | None = None) -> None:
        self.state = state
        with contextlib.suppress(Exception):
            await self.setup.report_status(self.id, state, trace)

    async def wait_while_paused(self) -> None:
        """Park a paused task (reporting PAUSED, then RUNNING) until resumed or stopped."""
        if self._resumed.is_set():
            return
        await self.on_pause()
        await self._report(State.PAUSED)
        stop = asyncio.ensure_future(self._stopping.wait())
        resume = asyncio.ensure_future(self._resumed.wait())
        try:
            await asyncio.wait([stop, resume], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            resume.cancel()
        if not self.stopping:
            await self._report(State.RUNNING)

    async def _guarded(self) -> None:
        try:
            props = self.setup.connector_props
            self.errors = RetryWithTolerance(
                ErrorSettings.from_props(props), self.id.connector, self.id.task
            )
            self.chain = build_chain(props)
            self.converters = converters_for(props, self.setup.converters)
            await self.execute()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.exception("task %s-%d failed", self.id.connector, self.id.task)
            self.setup.metrics.task_failures.labels(*self.labels).inc()
            await self._report(State.FAILED, "".join(traceback.format_exception(error)))
        finally:
            self._stopping.set()  # whatever ended the loop, nothing more is committed
            with contextlib.suppress(Exception):
                await self.close()

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Ask the loop to finish (flushing offsets), then cancel it after `timeout_s`."""
        self._stopping.set()
        if self._runner is None:
            return
        # asyncio.wait neither cancels the runner nor swallows our own cancellation.
        await asyncio.wait({self._runner}, timeout=timeout_s)
        if not self._runner.done():
            log.warning("task %s-%d did not stop in %.0f s; cancelling it",
                        self.id.connector, self.id.task, timeout_s)
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._runner

    @property
    def done(self) -> bool:
        return self._runner is not None and self._runner.done()

    @abstractmethod
    async def execute(self) -> None:
        """Start the task and move records until `stopping`."""

    @abstractmethod
    async def on_pause(self) -> None:
        """Commit what can be committed before parking."""

    @abstractmethod
    async def close(self) -> None:
        """Release the task and the clients (called once, also after a failure)."""
