"""Creating `__consumer_offsets` through the active controller the first time a group needs
a coordinator: 50 partitions (offsets.topic.num.partitions), replication factor
min(3, live brokers), compacted (the log is the groups' state, one value per key)."""

from __future__ import annotations

import asyncio
import logging

from kanal.errors import KanalError, TopicAlreadyExists, error_for_code
from kanal.v1 import controller_pb2

from kanal_broker.groups.server.offsets_log import OFFSETS_TOPIC
from kanal_broker.metadata_cache import MetadataCache
from kanal_broker.replication.controller_link import ControllerLink

log = logging.getLogger(__name__)

MAX_REPLICATION_FACTOR = 3


class OffsetsTopic:
    def __init__(self, cache: MetadataCache, *, partitions: int) -> None:
        self._cache = cache
        self._link = ControllerLink(cache)
        self._partitions = partitions
        self._creating: asyncio.Task[None] | None = None

    def exists(self) -> bool:
        return OFFSETS_TOPIC in self._cache.topics

    def ensure(self) -> None:
        """Ask the controller to create the topic, once at a time, without waiting for it."""
        if self.exists() or (self._creating is not None and not self._creating.done()):
            return
        self._creating = asyncio.create_task(self._create(), name="create-consumer-offsets")

    async def _create(self) -> None:
        replication = max(1, min(MAX_REPLICATION_FACTOR, len(self._cache.brokers)))
        request = controller_pb2.CreateTopicsRequest(topics=[controller_pb2.NewTopic(
            name=OFFSETS_TOPIC, num_partitions=self._partitions,
            replication_factor=replication, configs={"cleanup.policy": "compact"})])
        try:
            stub = await self._link.stub()
            response = await stub.CreateTopics(request, timeout=10)
        except Exception as exc:  # retried at the next FindCoordinator
            log.warning("creating %s failed: %s", OFFSETS_TOPIC, exc)
            return
        for result in response.results:
            if result.error_code and result.error_code != TopicAlreadyExists.code:
                error: KanalError = error_for_code(result.error_code, result.error_message)
                log.warning("creating %s refused: %s", OFFSETS_TOPIC, error)

    async def close(self) -> None:
        if self._creating is not None:
            self._creating.cancel()
            await asyncio.gather(self._creating, return_exceptions=True)
        await self._link.close()
