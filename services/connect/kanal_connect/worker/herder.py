"""The herder: follows the internal topics and makes this worker run what it is assigned.

All changes go through `connect-configs`; every worker applies what it reads, so REST
handlers only write records and the reconcile loop (one asyncio task, serialised by a lock)
brings the running connectors and tasks in line with the config state and the assignment:

- a connector this worker owns is started with its target state; while it is STARTED its
  task configs are regenerated when its config changes or it asks for it, and written as
  `task-*` records followed by `commit-<name>`; STOPPED writes zero tasks (Kafka's rule);
- a task this worker owns runs with its committed config; a changed config restarts it;
- a restart request restarts what this worker owns of that connector.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from kanal_connect.plugins import PluginRegistry
from kanal_connect.runtime.metrics import ConnectMetrics
from kanal_connect.storage import keys
from kanal_connect.storage.config_state import ConfigState, RestartRequest, TargetState
from kanal_connect.storage.keys import TaskId
from kanal_connect.storage.offset_store import OffsetStore
from kanal_connect.storage.status_store import State, StatusStore
from kanal_connect.storage.topic_log import TopicLog, ensure_compacted_topic
from kanal_connect.worker.assignment import Assignment
from kanal_connect.worker.settings import WorkerSettings
from kanal_connect.worker.worker import Worker

log = logging.getLogger(__name__)

ConfigListener = Callable[[ConfigState], None]


class Herder:
    def __init__(self, settings: WorkerSettings, plugins: PluginRegistry,
                 metrics: ConnectMetrics) -> None:
        self.settings = settings
        self.plugins = plugins
        self.config = ConfigState()
        self.config_log = TopicLog(settings.bootstrap, settings.config_topic, self._on_config)
        self.offsets = OffsetStore(settings.bootstrap, settings.offset_topic)
        self.statuses = StatusStore(settings.bootstrap, settings.status_topic)
        self.worker = Worker(settings, plugins=plugins, offsets=self.offsets,
                             statuses=self.statuses, metrics=metrics, on_change=self.wake)
        # Nothing runs until membership says what: everything when alone, else the
        # leader's assignment.
        self.assignment = Assignment()
        self._stable = asyncio.Event()
        self._stable.set()
        self.ready = False
        self.config_listeners: list[ConfigListener] = []
        self._restarts: list[RestartRequest] = []
        self._wakeup = asyncio.Event()
        self._lock = asyncio.Lock()
        self._loop: asyncio.Task[None] | None = None

    # ---- life cycle -----------------------------------------------------------------------

    async def start(self) -> None:
        s = self.settings
        await ensure_compacted_topic(s.bootstrap, s.config_topic, 1)
        await ensure_compacted_topic(s.bootstrap, s.offset_topic, s.offset_partitions)
        await ensure_compacted_topic(s.bootstrap, s.status_topic, s.status_partitions)
        await self.offsets.log.start()
        await self.statuses.log.start()
        await self.config_log.start()
        self._loop = asyncio.create_task(self._run(), name="herder-reconcile")
        self.wake()

    async def stop(self) -> None:
        await self.stop_work()
        for topic_log in (self.config_log, self.statuses.log, self.offsets.log):
            with contextlib.suppress(Exception):
                await topic_log.stop()

    @property
    def rebalancing(self) -> bool:
        return not self._stable.is_set()

    @rebalancing.setter
    def rebalancing(self, value: bool) -> None:
        if value:
            self._stable.clear()
        else:
            self._stable.set()

    async def wait_stable(self, timeout_s: float) -> bool:
        """Whether the group is (or becomes within `timeout_s`) out of a rebalance."""
        try:
            await asyncio.wait_for(self._stable.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    async def stop_work(self) -> None:
        """Stop every connector and task (their offsets flushed), before leaving the group."""
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        async with self._lock:
            await self.worker.stop_all()

    async def reconcile_now(self) -> None:
        async with self._lock:
            await self.reconcile()

    @property
    def is_leader(self) -> bool:
        return self.assignment.everything or self.assignment.leader_id == self.settings.id

    def run_alone(self) -> None:
        self.set_assignment(Assignment(everything=True, leader_id=self.settings.id,
                                       leader_url=self.settings.url))

    def set_assignment(self, assignment: Assignment) -> None:
        self.assignment = assignment
        self.worker.generation = assignment.generation
        self.wake()

    def wake(self) -> None:
        self._wakeup.set()

    def _on_config(self, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            return
        request = self.config.apply(key.decode(errors="replace"), value)
        self.config.offset += 1
        if request is not None:
            self._restarts.append(request)
        for listener in self.config_listeners:
            listener(self.config)
        self.wake()

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            try:
                async with self._lock:
                    await self.reconcile()
            except asyncio.CancelledError:
                raise
            except Exception:
                # Kept alive: the next change retries (a broker moving leadership, ...).
                log.exception("reconcile failed; retrying")
                await asyncio.sleep(1)
                self.wake()

    # ---- reconcile -----------------------------------------------------------------------

    async def reconcile(self) -> None:
        state, worker, owned = self.config, self.worker, self.assignment
        restarts, self._restarts = self._restarts, []
        for name in list(worker.connectors):
            if name not in state.connectors or not owned.owns_connector(name):
                await worker.stop_connector(name, report=name in state.connectors)
        for task in list(worker.tasks):
            if not self._should_run(task):
                await worker.stop_task(task, report=task.connector in state.connectors)
        for request in restarts:
            await self._restart(request)
        for name in sorted(state.connectors):
            if owned.owns_connector(name):
                await self._reconcile_connector(name)
        for task in state.all_task_ids():
            if self._should_run(task):
                await self._reconcile_task(task)

    def _should_run(self, task: TaskId) -> bool:
        state = self.config
        return (
            self.assignment.owns_task(task)
            and state.task_config(task) is not None
            and task.connector not in state.inconsistent
            and state.target_state(task.connector) is not TargetState.STOPPED
        )

    async def _reconcile_connector(self, name: str) -> None:
        state, worker = self.config, self.worker
        props, target = state.connectors[name], state.target_state(name)
        runner = worker.connectors.get(name)
        if runner is not None and runner.props != props:
            await worker.stop_connector(name, report=False)
            runner = None
        if runner is None:
            try:
                runner = await worker.start_connector(name, props, target)
            except Exception as error:  # an unknown class after a plugin was removed
                log.error("connector %s cannot start: %s", name, error)
                await worker.report_connector(name, State.FAILED, str(error))
                return
            runner.reconfigure_requested = True
        else:
            await worker.transition_connector(name, target)
        if target is TargetState.STOPPED and state.tasks.get(name):
            await self.write_task_configs(name, [])
        elif target is TargetState.STARTED and runner.reconfigure_requested:
            configs = runner.task_configs()
            if configs is None:
                await worker.report_connector(name, runner.state, runner.trace)
            elif configs != state.tasks.get(name) or name in state.inconsistent:
                await self.write_task_configs(name, configs)

    async def _reconcile_task(self, task: TaskId) -> None:
        state, worker = self.config, self.worker
        connector_props = state.connectors[task.connector]
        task_props = state.task_config(task) or {}
        target = state.target_state(task.connector)
        if task in worker.tasks and worker.task_props.get(task) != (connector_props, task_props):
            await worker.stop_task(task, report=False)
        if task not in worker.tasks:
            try:
                await worker.start_task(task, connector_props, task_props, target)
            except Exception as error:
                log.error("task %s cannot start: %s", task, error)
                await worker.report_task(task, State.FAILED, str(error))
        else:
            worker.transition_task(task, target)

    async def _restart(self, request: RestartRequest) -> None:
        name, worker = request.connector, self.worker
        if name not in self.config.connectors:
            return
        runner = worker.connectors.get(name)
        if runner is not None and (not request.only_failed or runner.state is State.FAILED):
            await worker.stop_connector(name, report=False)
        if request.include_tasks:
            for task in [t for t in worker.tasks if t.connector == name]:
                if not request.only_failed or worker.tasks[task].state is State.FAILED:
                    await worker.stop_task(task, report=False)

    async def restart_task_here(self, task: TaskId) -> None:
        async with self._lock:
            await self.worker.stop_task(task, report=False)
            if self._should_run(task):
                await self._reconcile_task(task)

    # ---- writes to connect-configs -------------------------------------------------------

    async def write_task_configs(self, name: str, configs: list[dict[str, str]]) -> None:
        records: list[tuple[bytes, bytes | None]] = [
            (keys.task_key(TaskId(name, n)).encode(), keys.properties_value(c))
            for n, c in enumerate(configs)
        ]
        records.append((keys.commit_key(name).encode(), keys.dumps({"tasks": len(configs)})))
        await self.config_log.send_all(records)

    async def write_config(self, records: Sequence[tuple[str, bytes | None]]) -> None:
        """Write records to `connect-configs` and wait until this worker has read them."""
        await self.config_log.send_all([(k.encode(), v) for k, v in records])
        await self.config_log.read_to_end()
