"""Topics a source task writes to are created when missing (KIP-158's
`topic.creation.default.partitions` / `.replication.factor`, -1 meaning the cluster's
default): our brokers do not auto-create topics, so this stands in for Kafka's
`auto.create.topics.enable` that connectors usually count on."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from kanal import AIOAdmin, NewTopic
from kanal.errors import TopicAlreadyExists

from kanal_connect.runtime.client_overrides import ADMIN, client_settings

PARTITIONS_KEY = "topic.creation.default.partitions"
REPLICATION_KEY = "topic.creation.default.replication.factor"


class TopicCreator:
    def __init__(self, bootstrap: str, props: Mapping[str, str]) -> None:
        self._bootstrap = bootstrap
        self._admin_settings = client_settings(props, ADMIN)
        self._partitions = max(0, int(props.get(PARTITIONS_KEY, "-1") or "-1"))
        self._replication = max(0, int(props.get(REPLICATION_KEY, "-1") or "-1"))
        self._known: set[str] = set()

    async def ensure(self, topic: str) -> None:
        if topic in self._known:
            return
        async with AIOAdmin(**{"bootstrap_servers": self._bootstrap,
                               **self._admin_settings}) as admin:
            if topic not in await admin.list_topics():
                with contextlib.suppress(TopicAlreadyExists):
                    await admin.create_topics(
                        [NewTopic(topic, self._partitions, self._replication)]
                    )
        self._known.add(topic)
