"""The operations of Kafka Connect's REST API, answered with its JSON shapes; the REST and
gRPC edges both call these. Writes need the leader (`NotLeader` tells the edge where it
is) and no rebalance under way (`RebalanceInProgress`, HTTP 409)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from kanal_connect.converters import CONVERTERS
from kanal_connect.errors import InvalidConnectorConfig
from kanal_connect.plugins import Plugin
from kanal_connect.predicates import PREDICATE_CLASSES
from kanal_connect.runtime.connector_config import connector_class_of, validate_connector_config
from kanal_connect.storage import keys
from kanal_connect.storage.config_state import RestartRequest, TargetState, target_state_value
from kanal_connect.storage.keys import TaskId
from kanal_connect.storage.status_store import State, Status
from kanal_connect.transforms import TRANSFORMATION_CLASSES
from kanal_connect.worker.errors import (
    AlreadyExists,
    BadRequest,
    NotFound,
    NotLeader,
    RebalanceInProgress,
)
from kanal_connect.worker.herder import Herder

JsonObject = dict[str, object]
REBALANCE_WAIT_S = 10.0
"""A write arriving during a rebalance waits this long for it to end before the 409."""
# Kafka refuses names with ISO control characters, and "/" would break the REST paths.
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f/]")


class ConnectService:
    def __init__(self, herder: Herder) -> None:
        self.herder = herder

    # ---- reads ----------------------------------------------------------------------------

    def _config(self, name: str) -> dict[str, str]:
        props = self.herder.config.connectors.get(name)
        if props is None:
            raise NotFound(f"Connector {name} not found")
        return props

    def connector_names(self) -> list[str]:
        return sorted(self.herder.config.connectors)

    def connector_type(self, name: str) -> str:
        try:
            return self.herder.plugins.find(connector_class_of(self._config(name))).type
        except InvalidConnectorConfig:
            return "unknown"

    def info(self, name: str) -> JsonObject:
        props = self._config(name)
        return {
            "name": name,
            "config": dict(props),
            "tasks": [t.to_json() for t in self.herder.config.task_ids(name)],
            "type": self.connector_type(name),
        }

    def config(self, name: str) -> dict[str, str]:
        return dict(self._config(name))

    def status(self, name: str) -> JsonObject:
        self._config(name)
        statuses = self.herder.statuses
        connector = statuses.connectors.get(name) or Status(State.UNASSIGNED, "")
        return {
            "name": name,
            "connector": connector.to_json(),
            "tasks": [self._task_status(t) for t in self.herder.config.task_ids(name)],
            "type": self.connector_type(name),
        }

    def _task_status(self, task: TaskId) -> JsonObject:
        status = self.herder.statuses.tasks.get(task) or Status(State.UNASSIGNED, "")
        return {"id": task.task, **status.to_json()}

    def task_status(self, name: str, task: int) -> JsonObject:
        self._config(name)
        task_id = TaskId(name, task)
        if task_id not in self.herder.config.task_ids(name):
            raise NotFound(f"Task {name}-{task} not found")
        return self._task_status(task_id)

    def tasks(self, name: str) -> list[JsonObject]:
        self._config(name)
        config = self.herder.config
        return [{"id": t.to_json(), "config": dict(config.task_config(t) or {})}
                for t in config.task_ids(name)]

    def topics(self, name: str) -> JsonObject:
        self._config(name)
        return {name: {"topics": sorted(self.herder.statuses.topics.get(name, set()))}}

    def plugins(self, connectors_only: bool = True) -> list[JsonObject]:
        found: list[JsonObject] = [
            {"class": p.class_name, "type": p.type, "version": p.version()}
            for p in sorted(self.herder.plugins.plugins, key=lambda p: p.class_name)
        ]
        if not connectors_only:
            found += [{"class": c, "type": "transformation"} for c in TRANSFORMATION_CLASSES]
            found += [{"class": c, "type": "predicate"} for c in PREDICATE_CLASSES]
            found += [{"class": c, "type": "converter"} for c in CONVERTERS if "." in c]
        return found

    def plugin(self, name: str) -> Plugin:
        try:
            return self.herder.plugins.find(name)
        except InvalidConnectorConfig:
            raise NotFound(f"Unknown plugin {name}.") from None

    def validate(self, plugin_name: str, props: Mapping[str, str]) -> JsonObject:
        plugin = self.plugin(plugin_name)
        return validate_connector_config(plugin, props).to_json()

    def plugin_config(self, plugin_name: str) -> list[JsonObject]:
        plugin = self.plugin(plugin_name)
        report = validate_connector_config(plugin, {"connector.class": plugin.class_name})
        return [r.to_json()["definition"] for r in report.results]  # type: ignore[misc]

    # ---- writes ---------------------------------------------------------------------------

    async def _writable(self) -> None:
        herder = self.herder
        if not await herder.wait_stable(REBALANCE_WAIT_S):
            raise RebalanceInProgress(
                "Cannot complete request momentarily due to stale configuration "
                "(typically caused by a concurrent config change)")
        if not herder.is_leader:
            raise NotLeader(herder.assignment.leader_url)

    def _checked(self, name: str, props: Mapping[str, str]) -> dict[str, str]:
        if not name.strip() or _BAD_NAME.search(name):
            raise BadRequest(f"Connector name {name!r} is invalid: it must be non-empty, "
                             "without control characters or '/'")
        if "name" in props and props["name"] != name:
            raise BadRequest(f"Connector name configuration ({props['name']}) doesn't match "
                             f"connector name in the URL ({name})")
        config = {str(k): str(v) for k, v in props.items()} | {"name": name}
        plugin = self.herder.plugins.find(connector_class_of(config))
        report = validate_connector_config(plugin, config)
        if report.error_count:
            lines = [m for msgs in report.field_errors().values() for m in msgs]
            raise InvalidConnectorConfig(
                f"Connector configuration is invalid and contains the following "
                f"{len(lines)} error(s):\n" + "\n".join(lines) + "\nYou can also find the "
                "above list of errors at the endpoint `/connector-plugins/{connectorType}/"
                "config/validate`", report.field_errors())
        return config

    async def create(self, name: str, props: Mapping[str, str],
                     initial_state: str | None = None) -> JsonObject:
        await self._writable()
        if name in self.herder.config.connectors:
            raise AlreadyExists(f"Connector {name} already exists")
        config = self._checked(name, props)
        target = TargetState((initial_state or "RUNNING").upper().replace("RUNNING", "STARTED"))
        await self.herder.write_config([
            (keys.target_state_key(name), target_state_value(target)),
            (keys.connector_key(name), keys.properties_value(config)),
        ])
        return self.info(name)

    async def put_config(self, name: str, props: Mapping[str, str]) -> tuple[bool, JsonObject]:
        """Create or replace; True when created."""
        await self._writable()
        created = name not in self.herder.config.connectors
        config = self._checked(name, props)
        records = [(keys.connector_key(name), keys.properties_value(config))]
        if created:
            records.insert(0, (keys.target_state_key(name),
                               target_state_value(TargetState.STARTED)))
        await self.herder.write_config(records)
        return created, self.info(name)

    async def patch_config(self, name: str, patch: Mapping[str, str | None]) -> JsonObject:
        current = self._config(name)
        merged = {k: v for k, v in ({**current, **patch}).items() if v is not None}
        _, info = await self.put_config(name, merged)
        return info

    async def delete(self, name: str) -> None:
        await self._writable()
        self._config(name)
        await self.herder.write_config([
            (keys.connector_key(name), None), (keys.target_state_key(name), None),
        ])
        await self.herder.statuses.forget(name)

    async def set_target_state(self, name: str, target: TargetState) -> None:
        await self._writable()
        self._config(name)
        records: list[tuple[str, bytes | None]] = []
        if target is TargetState.STOPPED:
            # Kafka's stopConnector: zero task configs, then the STOPPED target state.
            records += [(keys.commit_key(name), keys.dumps({"tasks": 0}))]
        records.append((keys.target_state_key(name), target_state_value(target)))
        await self.herder.write_config(records)

    async def restart(self, name: str, include_tasks: bool, only_failed: bool
                      ) -> JsonObject | None:
        """Kafka's answer: None (204) for a plain restart, else the status with what is being
        restarted shown as RESTARTING (202)."""
        await self._writable()
        self._config(name)
        herder, statuses = self.herder, self.herder.statuses
        plain = not include_tasks and not only_failed
        answer = self.status(name)  # the answer shows the plan, whatever happens meanwhile
        generation = herder.worker.generation
        connector = statuses.connectors.get(name)
        if not plain and (not only_failed or (connector and connector.state is State.FAILED)):
            owner = connector.worker_id if connector else ""
            answer["connector"] = {"state": State.RESTARTING.value, "worker_id": owner}
            await statuses.put_connector(name, Status(State.RESTARTING, owner, generation))
        tasks = answer["tasks"]
        assert isinstance(tasks, list)
        for task in herder.config.task_ids(name) if include_tasks else []:
            current = statuses.tasks.get(task)
            if not only_failed or (current and current.state is State.FAILED):
                owner = current.worker_id if current else ""
                tasks[task.task] = {"id": task.task, "state": State.RESTARTING.value,
                                    "worker_id": owner}
                await statuses.put_task(task, Status(State.RESTARTING, owner, generation))
        await herder.write_config([(keys.restart_key(name),
                                    RestartRequest(name, include_tasks, only_failed).to_value())])
        return None if plain else answer

    def task_owner(self, name: str, task: int) -> str | None:
        """The worker id running the task (None when unknown)."""
        self.task_status(name, task)
        found = self.herder.statuses.tasks.get(TaskId(name, task))
        return found.worker_id if found else None

    async def restart_task(self, name: str, task: int) -> None:
        """Restart a task this worker runs (the REST edge forwards to the owner)."""
        self.task_status(name, task)
        await self.herder.restart_task_here(TaskId(name, task))

    async def reset_topics(self, name: str) -> None:
        self._config(name)
        await self.herder.statuses.reset_topics(name)
