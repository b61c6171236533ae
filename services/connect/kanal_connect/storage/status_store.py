"""Connector, task and topic states in `connect-status`.

Each worker writes the states of what it runs and reads everybody's. A record carries the
group generation it was written in, so a late write from a worker that lost the work in a
rebalance does not overwrite the new owner's state (Kafka's rule: ignore an older
generation from another worker).
"""

from __future__ import annotations

import enum
import logging
import time
from dataclasses import dataclass
from typing import TypeVar

from kanal_connect.storage import keys
from kanal_connect.storage.keys import TaskId
from kanal_connect.storage.topic_log import TopicLog

log = logging.getLogger(__name__)

K = TypeVar("K")


class State(enum.Enum):
    UNASSIGNED = "UNASSIGNED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    STOPPED = "STOPPED"
    FAILED = "FAILED"
    RESTARTING = "RESTARTING"
    DESTROYED = "DESTROYED"  # written when a connector is deleted; shown as absent


@dataclass(frozen=True, slots=True)
class Status:
    state: State
    worker_id: str
    generation: int = 0
    trace: str | None = None

    def to_value(self) -> bytes:
        return keys.dumps(
            {
                "state": self.state.value,
                "trace": self.trace,
                "worker_id": self.worker_id,
                "generation": self.generation,
            }
        )

    @classmethod
    def from_value(cls, data: bytes) -> Status:
        body = keys.loads_object(data)
        trace = body.get("trace")
        generation = body.get("generation", 0)
        return cls(
            State(str(body["state"])),
            str(body.get("worker_id", "")),
            generation if isinstance(generation, int) else 0,
            trace if isinstance(trace, str) else None,
        )

    def to_json(self) -> dict[str, object]:
        """Kafka's REST shape: `trace` only when there is one."""
        body: dict[str, object] = {"state": self.state.value, "worker_id": self.worker_id}
        if self.trace:
            body["trace"] = self.trace
        return body


class StatusStore:
    def __init__(self, bootstrap: str, topic: str) -> None:
        self.connectors: dict[str, Status] = {}
        self.tasks: dict[TaskId, Status] = {}
        self.topics: dict[str, set[str]] = {}
        self.log = TopicLog(bootstrap, topic, self._apply)

    def _apply(self, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            return
        text = key.decode(errors="replace")
        try:
            if text.startswith(keys.STATUS_CONNECTOR_PREFIX):
                self._put(self.connectors, text.removeprefix(keys.STATUS_CONNECTOR_PREFIX), value)
            elif text.startswith(keys.STATUS_TASK_PREFIX):
                task = keys.parse_task_suffix(text.removeprefix(keys.STATUS_TASK_PREFIX))
                self._put(self.tasks, task, value)
            elif text.startswith(keys.STATUS_TOPIC_PREFIX):
                topic, connector = keys.parse_topic_status_suffix(
                    text.removeprefix(keys.STATUS_TOPIC_PREFIX)
                )
                found = self.topics.setdefault(connector, set())
                if value is None:
                    found.discard(topic)
                else:
                    found.add(topic)
        except (ValueError, KeyError) as error:
            log.warning("skipping unreadable status record %r: %s", text, error)

    @staticmethod
    def _put(table: dict[K, Status], key: K, value: bytes | None) -> None:
        if value is None:
            table.pop(key, None)
            return
        status = Status.from_value(value)
        current = table.get(key)
        if (
            current is not None
            and current.worker_id != status.worker_id
            and status.generation < current.generation
        ):
            return
        table[key] = status

    async def put_connector(self, name: str, status: Status) -> None:
        self._put(self.connectors, name, status.to_value())
        await self.log.send(keys.connector_status_key(name).encode(), status.to_value())

    async def put_task(self, task: TaskId, status: Status) -> None:
        self._put(self.tasks, task, status.to_value())
        await self.log.send(keys.task_status_key(task).encode(), status.to_value())

    async def add_topic(self, connector: str, topic: str, task: int) -> None:
        """Record that `connector` used `topic` (Kafka's active topics, KIP-558)."""
        if topic in self.topics.get(connector, set()):
            return
        self.topics.setdefault(connector, set()).add(topic)
        value = keys.dumps(
            {
                "topic": {
                    "name": topic,
                    "connector": connector,
                    "task": task,
                    "discoverTimestamp": int(time.time() * 1000),
                }
            }
        )
        await self.log.send(keys.topic_status_key(topic, connector).encode(), value)

    async def reset_topics(self, connector: str) -> None:
        for topic in sorted(self.topics.pop(connector, set())):
            await self.log.send(keys.topic_status_key(topic, connector).encode(), None)

    async def forget(self, connector: str) -> None:
        """Tombstones for a deleted connector's states."""
        self.connectors.pop(connector, None)
        await self.log.send(keys.connector_status_key(connector).encode(), None)
        for task in [t for t in self.tasks if t.connector == connector]:
            self.tasks.pop(task, None)
            await self.log.send(keys.task_status_key(task).encode(), None)
