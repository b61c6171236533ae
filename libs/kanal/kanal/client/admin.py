"""The sync admin client, named like kafka-python's KafkaAdminClient: AIOAdmin on a private
event loop in a daemon thread. Every method takes `timeout` (s; request_timeout_ms by default).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, TypeVar

from kanal.client.admin_types import (
    ClusterDescription,
    ConfigResource,
    ConfigResult,
    TopicDescription,
    TopicResult,
)
from kanal.client.aio_admin import AIOAdmin, ElectionResult
from kanal.client.loop_thread import LoopThread
from kanal.client.records import NewTopic
from kanal.client.sync_facade import SyncFacade

_T = TypeVar("_T")


class Admin(SyncFacade):
    _closed_message = "the admin client is closed"

    def __init__(self, **configs: Any) -> None:
        self._admin = AIOAdmin(**configs)
        self.config = self._admin.config
        self._timeout_s = self.config.connection.request_timeout_ms / 1000
        self._thread = LoopThread(name="kanal-admin")
        self._closed = False

    def create_topics(
        self, new_topics: Iterable[NewTopic], validate_only: bool = False, *,
        raise_errors: bool = True, timeout: float | None = None,
    ) -> list[TopicResult]:
        return self._run(self._admin.create_topics(
            list(new_topics), validate_only, raise_errors=raise_errors), timeout)

    def delete_topics(
        self, topics: Iterable[str], *, raise_errors: bool = True, timeout: float | None = None
    ) -> list[TopicResult]:
        return self._run(
            self._admin.delete_topics(list(topics), raise_errors=raise_errors), timeout
        )

    def list_topics(self, timeout: float | None = None) -> list[str]:
        return self._run(self._admin.list_topics(), timeout)

    def describe_topics(
        self, topics: Iterable[str] | None = None, *, include_internal: bool = False,
        raise_errors: bool = True, timeout: float | None = None,
    ) -> list[TopicDescription]:
        names = list(topics) if topics is not None else None
        return self._run(self._admin.describe_topics(
            names, include_internal=include_internal, raise_errors=raise_errors), timeout)

    def describe_configs(self, topic: str, timeout: float | None = None) -> dict[str, str]:
        return self._run(self._admin.describe_configs(topic), timeout)

    def incremental_alter_configs(
        self, resources: Iterable[ConfigResource], validate_only: bool = False, *,
        raise_errors: bool = True, timeout: float | None = None,
    ) -> list[ConfigResult]:
        return self._run(self._admin.incremental_alter_configs(
            list(resources), validate_only, raise_errors=raise_errors), timeout)

    alter_configs = incremental_alter_configs

    def describe_cluster(self, timeout: float | None = None) -> ClusterDescription:
        return self._run(self._admin.describe_cluster(), timeout)

    def elect_leaders(
        self, election_type: Literal["preferred", "unclean"] = "preferred",
        partitions: Iterable[tuple[str, int]] | None = None, *, timeout: float | None = None,
    ) -> list[ElectionResult]:
        names = list(partitions) if partitions is not None else None
        return self._run(self._admin.elect_leaders(election_type, names), timeout)

    def close(self, timeout: float | None = None) -> None:
        if self._closed:
            return
        try:
            self._thread.run(self._admin.close(), timeout or self._timeout_s)
        finally:
            self._closed = True
            self._thread.stop(timeout_s=10)
