"""Keys and values of the internal topics, byte for byte as Kafka Connect writes them.

Keys are plain UTF-8 strings (Kafka's ad hoc string keys); values are the JSON that Kafka's
JsonConverter writes with `schemas.enable=false` for its config/status structs:

    connect-configs
      connector-<name>        {"properties": {...}}                 null = deleted
      task-<name>-<n>         {"properties": {...}}                 (applied at the commit)
      commit-<name>           {"tasks": n}                          n task configs are live
      target-state-<name>     {"state": "STARTED"|"PAUSED", "state.v2": ...}
      restart-connector-<name> {"include-tasks": bool, "only-failed": bool}
    connect-status
      status-connector-<name> {"state", "trace", "worker_id", "generation"}
      status-task-<name>-<n>  same
      status-topic-<topic>:connector-<name>
                              {"topic": {"name", "connector", "task", "discoverTimestamp"}}
    connect-offsets
      ["<connector>", {partition}]   {offset} (JSON of the maps; null = offset removed)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

CONNECTOR_PREFIX = "connector-"
TASK_PREFIX = "task-"
COMMIT_PREFIX = "commit-"
TARGET_STATE_PREFIX = "target-state-"
RESTART_PREFIX = "restart-connector-"
STATUS_CONNECTOR_PREFIX = "status-connector-"
STATUS_TASK_PREFIX = "status-task-"
STATUS_TOPIC_PREFIX = "status-topic-"
STATUS_TOPIC_SEPARATOR = ":connector-"


@dataclass(frozen=True, slots=True, order=True)
class TaskId:
    """Kafka's ConnectorTaskId: a connector's task number n."""

    connector: str
    task: int

    def to_json(self) -> dict[str, object]:
        return {"connector": self.connector, "task": self.task}


def dumps(value: object) -> bytes:
    """Compact JSON, as Jackson writes it (no spaces, keys in insertion order)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def loads_object(data: bytes) -> dict[str, object]:
    value = json.loads(data)
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    return value


def connector_key(name: str) -> str:
    return CONNECTOR_PREFIX + name


def task_key(task: TaskId) -> str:
    return f"{TASK_PREFIX}{task.connector}-{task.task}"


def commit_key(name: str) -> str:
    return COMMIT_PREFIX + name


def target_state_key(name: str) -> str:
    return TARGET_STATE_PREFIX + name


def restart_key(name: str) -> str:
    return RESTART_PREFIX + name


def connector_status_key(name: str) -> str:
    return STATUS_CONNECTOR_PREFIX + name


def task_status_key(task: TaskId) -> str:
    return f"{STATUS_TASK_PREFIX}{task.connector}-{task.task}"


def topic_status_key(topic: str, connector: str) -> str:
    return f"{STATUS_TOPIC_PREFIX}{topic}{STATUS_TOPIC_SEPARATOR}{connector}"


def parse_task_suffix(suffix: str) -> TaskId:
    """`<name>-<n>` -> TaskId; the name may itself contain dashes, the number is last."""
    name, sep, number = suffix.rpartition("-")
    if not sep or not name or not number.isdigit():
        raise ValueError(f"not a task id: {suffix!r}")
    return TaskId(name, int(number))


def parse_topic_status_suffix(suffix: str) -> tuple[str, str]:
    """`<topic>:connector-<name>` -> (topic, connector). Topic names cannot hold ':'."""
    topic, sep, connector = suffix.partition(STATUS_TOPIC_SEPARATOR)
    if not sep or not topic or not connector:
        raise ValueError(f"not a topic status key: {suffix!r}")
    return topic, connector


def properties_value(props: Mapping[str, str]) -> bytes:
    return dumps({"properties": dict(props)})


def read_properties(data: bytes) -> dict[str, str]:
    props = loads_object(data).get("properties")
    if not isinstance(props, dict):
        raise ValueError("config record without a properties object")
    return {str(k): str(v) for k, v in props.items() if v is not None}


def offset_key(connector: str, partition: Mapping[str, object]) -> bytes:
    return dumps([connector, dict(partition)])


def read_offset_key(data: bytes) -> tuple[str, dict[str, object]]:
    value = json.loads(data)
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], str)
        or not isinstance(value[1], dict)
    ):
        raise ValueError("offset key is not [connector, {partition}]")
    return value[0], value[1]
