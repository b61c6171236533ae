"""The internal topics' record formats (Kafka Connect's keys and JSON values) and the config
state rebuilt from them, without a cluster."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st
from kanal_connect.storage import keys
from kanal_connect.storage.config_state import (
    ConfigState,
    RestartRequest,
    TargetState,
    read_target_state,
    target_state_value,
)
from kanal_connect.storage.keys import TaskId
from kanal_connect.storage.status_store import State, Status

NAMES = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
PROPS = st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=4)


def test_kafka_connect_key_and_value_formats() -> None:
    assert keys.connector_key("db") == "connector-db"
    assert keys.task_key(TaskId("my-db", 3)) == "task-my-db-3"
    assert keys.commit_key("db") == "commit-db"
    assert keys.target_state_key("db") == "target-state-db"
    assert keys.restart_key("db") == "restart-connector-db"
    assert keys.connector_status_key("db") == "status-connector-db"
    assert keys.task_status_key(TaskId("db", 0)) == "status-task-db-0"
    assert keys.topic_status_key("t", "db") == "status-topic-t:connector-db"
    assert keys.offset_key("db", {"filename": "a"}) == b'["db",{"filename":"a"}]'
    assert keys.properties_value({"a": "1"}) == b'{"properties":{"a":"1"}}'
    assert target_state_value(TargetState.STOPPED) == b'{"state":"PAUSED","state.v2":"STOPPED"}'
    assert RestartRequest("db", True).to_value() == b'{"include-tasks":true,"only-failed":false}'
    assert Status(State.FAILED, "w:8083", 4, "boom").to_value() == (
        b'{"state":"FAILED","trace":"boom","worker_id":"w:8083","generation":4}')


@given(NAMES, st.integers(0, 1000))
def test_task_keys_round_trip(name: str, task: int) -> None:
    suffix = keys.task_key(TaskId(name, task)).removeprefix(keys.TASK_PREFIX)
    assert keys.parse_task_suffix(suffix) == TaskId(name, task)


@given(NAMES, st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), st.text()),
                              max_size=3))
def test_offset_keys_round_trip(name: str, partition: dict[str, object]) -> None:
    assert keys.read_offset_key(keys.offset_key(name, partition)) == (name, partition)


@given(st.sampled_from(TargetState))
def test_target_states_round_trip(state: TargetState) -> None:
    assert read_target_state(target_state_value(state)) is state


@given(NAMES, st.lists(PROPS, max_size=4), PROPS)
def test_task_configs_apply_only_at_their_commit(
    name: str, tasks: list[dict[str, str]], connector: dict[str, str]
) -> None:
    state = ConfigState()
    state.apply(keys.connector_key(name), keys.properties_value(connector))
    for n, props in enumerate(tasks):
        state.apply(keys.task_key(TaskId(name, n)), keys.properties_value(props))
    assert state.tasks.get(name) is None  # written but not committed: not in force
    state.apply(keys.commit_key(name), keys.dumps({"tasks": len(tasks)}))
    assert state.tasks[name] == tasks and name not in state.inconsistent
    # A commit naming more tasks than were written leaves the connector inconsistent.
    state.apply(keys.commit_key(name), keys.dumps({"tasks": len(tasks) + 1}))
    assert name in state.inconsistent and state.tasks[name] == tasks
    state.apply(keys.connector_key(name), None)
    assert name not in state.connectors and name not in state.tasks


@given(st.binary(max_size=40), st.text(max_size=30))
def test_unreadable_records_are_skipped(value: bytes, key: str) -> None:
    state = ConfigState()
    state.apply(key, value)  # never raises
    state.apply(keys.commit_key("x"), value)
    assert json.dumps(state.connectors) is not None
