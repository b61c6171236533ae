"""The connectors and tasks running on this worker, and the statuses they report.

The herder decides what runs here; this class starts and stops it and writes each state
change to `connect-status` with this worker's id and the current group generation."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Mapping

from kanal_connect.plugins import PluginRegistry
from kanal_connect.runtime.connector_runner import ConnectorRunner
from kanal_connect.runtime.metrics import ConnectMetrics
from kanal_connect.runtime.sink_task import SinkTaskRunner
from kanal_connect.runtime.source_task import SourceTaskRunner
from kanal_connect.runtime.task_base import TaskRunner, TaskSetup
from kanal_connect.storage.config_state import TargetState
from kanal_connect.storage.keys import TaskId
from kanal_connect.storage.offset_store import OffsetStore
from kanal_connect.storage.status_store import State, Status, StatusStore
from kanal_connect.worker.settings import WorkerSettings

log = logging.getLogger(__name__)


class Worker:
    def __init__(
        self, settings: WorkerSettings, *, plugins: PluginRegistry, offsets: OffsetStore,
        statuses: StatusStore, metrics: ConnectMetrics, on_change: Callable[[], None],
    ) -> None:
        self.settings = settings
        # Registry converters that name no schema.registry.url use the worker's.
        self._converters = dataclasses.replace(
            settings.converters, schema_registry_url=settings.schema_registry_url)
        self.plugins = plugins
        self.offsets = offsets
        self.statuses = statuses
        self.metrics = metrics
        self.on_change = on_change
        self.generation = 0
        self.connectors: dict[str, ConnectorRunner] = {}
        self.tasks: dict[TaskId, TaskRunner] = {}
        self.task_props: dict[TaskId, tuple[dict[str, str], dict[str, str]]] = {}

    def _count(self) -> None:
        self.metrics.connector_count.set(len(self.connectors))
        self.metrics.task_count.set(len(self.tasks))

    async def report_connector(self, name: str, state: State, trace: str | None = None) -> None:
        status = Status(state, self.settings.id, self.generation, trace)
        await self.statuses.put_connector(name, status)

    async def report_task(self, task: TaskId, state: State, trace: str | None = None) -> None:
        await self.statuses.put_task(task, Status(state, self.settings.id, self.generation, trace))

    async def _report_topic(self, task: TaskId, topic: str) -> None:
        await self.statuses.add_topic(task.connector, topic, task.task)

    # ---- connectors ---------------------------------------------------------------------

    async def start_connector(self, name: str, props: Mapping[str, str], target: TargetState
                              ) -> ConnectorRunner:
        runner = ConnectorRunner(name, self.plugins.find(props.get("connector.class", "")),
                                 props, self.on_change)
        self.connectors[name] = runner
        self._count()
        if target is TargetState.STARTED:
            await runner.start()
        else:
            runner.state = State.PAUSED if target is TargetState.PAUSED else State.STOPPED
        await self.report_connector(name, runner.state, runner.trace)
        return runner

    async def transition_connector(self, name: str, target: TargetState) -> None:
        runner = self.connectors[name]
        wanted = {TargetState.STARTED: State.RUNNING, TargetState.PAUSED: State.PAUSED,
                  TargetState.STOPPED: State.STOPPED}[target]
        if runner.state in (wanted, State.FAILED):
            return
        if target is TargetState.STARTED:
            await runner.start()
            runner.reconfigure_requested = True  # e.g. back from STOPPED: tasks again
        else:
            await runner.stop(wanted)
        await self.report_connector(name, runner.state, runner.trace)

    async def stop_connector(self, name: str, *, report: bool) -> None:
        runner = self.connectors.pop(name, None)
        self._count()
        if runner is None:
            return
        await runner.stop()
        if report:
            await self.report_connector(name, State.UNASSIGNED)

    # ---- tasks --------------------------------------------------------------------------

    async def start_task(self, task: TaskId, connector_props: Mapping[str, str],
                         task_props: Mapping[str, str], target: TargetState) -> None:
        plugin = self.plugins.find(connector_props.get("connector.class", ""))
        setup = TaskSetup(
            task_id=task, plugin=plugin, connector_props=dict(connector_props),
            task_props=dict(task_props), bootstrap=self.settings.bootstrap,
            converters=self._converters, report_status=self.report_task,
            report_topic=self._report_topic, metrics=self.metrics,
            offset_flush_interval_s=self.settings.offset_flush_interval_ms / 1000,
        )
        runner: TaskRunner = (
            SinkTaskRunner(setup) if plugin.type == "sink"
            else SourceTaskRunner(setup, self.offsets)
        )
        self.tasks[task] = runner
        self.task_props[task] = (dict(connector_props), dict(task_props))
        self._count()
        runner.start(paused=target is not TargetState.STARTED)

    def transition_task(self, task: TaskId, target: TargetState) -> None:
        runner = self.tasks[task]
        if target is TargetState.STARTED:
            runner.resume()
        else:
            runner.pause()

    async def stop_task(self, task: TaskId, *, report: bool) -> None:
        runner = self.tasks.pop(task, None)
        self.task_props.pop(task, None)
        self._count()
        if runner is None:
            return
        failed = runner.state is State.FAILED
        await runner.stop(self.settings.task_shutdown_timeout_ms / 1000)
        if report and not failed:
            await self.report_task(task, State.UNASSIGNED)

    async def stop_all(self) -> None:
        """Stop every task at once (each flushes its offsets), then the connectors."""
        await asyncio.gather(*(self.stop_task(task, report=True) for task in list(self.tasks)))
        for name in list(self.connectors):
            await self.stop_connector(name, report=True)
