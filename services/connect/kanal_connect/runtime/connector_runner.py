"""One connector instance on this worker: started, paused (Kafka stops the instance while
paused), asked for task configs, stopped; a failure is kept with its trace."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Callable, Mapping

from kanal_connect.api import Connector
from kanal_connect.plugins import Plugin
from kanal_connect.storage.status_store import State

log = logging.getLogger(__name__)


class _Context:
    def __init__(self, runner: ConnectorRunner) -> None:
        self._runner = runner

    def request_task_reconfiguration(self) -> None:
        self._runner.reconfigure_requested = True
        self._runner.on_change()

    def raise_error(self, error: Exception) -> None:
        self._runner.fail(error)
        self._runner.on_change()


class ConnectorRunner:
    def __init__(
        self, name: str, plugin: Plugin, props: Mapping[str, str], on_change: Callable[[], None]
    ) -> None:
        self.name = name
        self.plugin = plugin
        self.props = dict(props)
        self.on_change = on_change
        self.state = State.UNASSIGNED
        self.trace: str | None = None
        self.reconfigure_requested = False
        self._instance: Connector | None = None

    async def start(self) -> None:
        """Start the instance (RUNNING) or record the failure (FAILED)."""
        instance = self.plugin.cls()
        try:
            await instance.start(self.props, _Context(self))
        except asyncio.CancelledError:
            raise
        except Exception as error:
            self.fail(error)
            with contextlib.suppress(Exception):
                await instance.stop()
            return
        self._instance = instance
        self.state = State.RUNNING

    def fail(self, error: BaseException) -> None:
        log.error("connector %s failed: %s", self.name, error)
        self.state = State.FAILED
        self.trace = "".join(traceback.format_exception(error))

    def task_configs(self) -> list[dict[str, str]] | None:
        """The connector's task configs, or None when it is not running or fails."""
        if self._instance is None or self.state is not State.RUNNING:
            return None
        max_tasks = int(self.props.get("tasks.max", "1") or "1")
        try:
            configs = self._instance.task_configs(max_tasks)
        except Exception as error:  # the connector's own code
            self.fail(error)
            return None
        self.reconfigure_requested = False
        return [{str(k): str(v) for k, v in c.items()} for c in configs[:max_tasks]]

    async def stop(self, state: State = State.UNASSIGNED) -> None:
        instance, self._instance = self._instance, None
        if instance is not None:
            try:
                await instance.stop()
            except Exception as error:
                log.warning("connector %s stop failed: %s", self.name, error)
        if self.state is not State.FAILED:
            self.state = state
