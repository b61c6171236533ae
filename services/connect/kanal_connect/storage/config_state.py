"""The cluster's connector configuration, rebuilt by replaying `connect-configs`.

Task configs are written one record per task and only become live with the `commit-<name>`
record that follows them (Kafka's deferred task updates): a worker that dies between the
task records and the commit leaves the old tasks in force, never a half-written set.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field

from kanal_connect.storage import keys
from kanal_connect.storage.keys import TaskId

log = logging.getLogger(__name__)


class TargetState(enum.Enum):
    STARTED = "STARTED"
    PAUSED = "PAUSED"
    STOPPED = "STOPPED"


def target_state_value(state: TargetState) -> bytes:
    # "state" is what workers older than STOPPED understand; "state.v2" the full state.
    legacy = "PAUSED" if state is TargetState.STOPPED else state.value
    return keys.dumps({"state": legacy, "state.v2": state.value})


def read_target_state(data: bytes) -> TargetState:
    value = keys.loads_object(data)
    return TargetState(str(value.get("state.v2") or value.get("state") or "STARTED"))


@dataclass(frozen=True, slots=True)
class RestartRequest:
    connector: str
    include_tasks: bool = False
    only_failed: bool = False

    def to_value(self) -> bytes:
        return keys.dumps({"include-tasks": self.include_tasks, "only-failed": self.only_failed})


@dataclass
class ConfigState:
    """What `connect-configs` says up to `offset` (the next offset to read)."""

    offset: int = 0
    connectors: dict[str, dict[str, str]] = field(default_factory=dict)
    tasks: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    target_states: dict[str, TargetState] = field(default_factory=dict)
    deferred: dict[str, dict[int, dict[str, str]]] = field(default_factory=dict)
    inconsistent: set[str] = field(default_factory=set)

    def task_ids(self, connector: str) -> list[TaskId]:
        return [TaskId(connector, n) for n in range(len(self.tasks.get(connector, ())))]

    def all_task_ids(self) -> list[TaskId]:
        return [t for name in sorted(self.connectors) for t in self.task_ids(name)]

    def task_config(self, task: TaskId) -> dict[str, str] | None:
        configs = self.tasks.get(task.connector, [])
        return configs[task.task] if task.task < len(configs) else None

    def target_state(self, connector: str) -> TargetState:
        return self.target_states.get(connector, TargetState.STARTED)

    def apply(self, key: str, value: bytes | None) -> RestartRequest | None:
        """Fold one record in; a restart request is returned for the caller to act on."""
        try:
            return self._apply(key, value)
        except (ValueError, TypeError) as error:
            log.warning("skipping unreadable config record %r: %s", key, error)
            return None

    def _apply(self, key: str, value: bytes | None) -> RestartRequest | None:
        if key.startswith(keys.CONNECTOR_PREFIX):
            name = key.removeprefix(keys.CONNECTOR_PREFIX)
            if value is None:
                self.connectors.pop(name, None)
                self.tasks.pop(name, None)
                self.target_states.pop(name, None)
                self.deferred.pop(name, None)
            else:
                self.connectors[name] = keys.read_properties(value)
        elif key.startswith(keys.TASK_PREFIX) and value is not None:
            task = keys.parse_task_suffix(key.removeprefix(keys.TASK_PREFIX))
            self.deferred.setdefault(task.connector, {})[task.task] = keys.read_properties(value)
        elif key.startswith(keys.COMMIT_PREFIX) and value is not None:
            self._commit(key.removeprefix(keys.COMMIT_PREFIX), value)
        elif key.startswith(keys.TARGET_STATE_PREFIX):
            name = key.removeprefix(keys.TARGET_STATE_PREFIX)
            if value is None:
                self.target_states.pop(name, None)
            else:
                self.target_states[name] = read_target_state(value)
        elif key.startswith(keys.RESTART_PREFIX) and value is not None:
            body = keys.loads_object(value)
            return RestartRequest(
                key.removeprefix(keys.RESTART_PREFIX),
                bool(body.get("include-tasks", False)),
                bool(body.get("only-failed", False)),
            )
        return None

    def _commit(self, name: str, value: bytes) -> None:
        count = keys.loads_object(value).get("tasks")
        if not isinstance(count, int) or count < 0:
            raise ValueError(f"commit record without a task count: {value!r}")
        pending = self.deferred.pop(name, {})
        if all(n in pending for n in range(count)):
            self.tasks[name] = [pending[n] for n in range(count)]
            self.inconsistent.discard(name)
        else:
            # Kafka keeps the connector out of service until its tasks are rewritten.
            log.warning("connector %s: commit of %d tasks without all their configs", name, count)
            self.inconsistent.add(name)
