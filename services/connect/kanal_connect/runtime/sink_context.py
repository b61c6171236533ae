"""The `SinkTaskContext` a sink task gets, and its errant record reporter (the DLQ)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping

from kanal import AIOAdmin, AIOProducer, NewTopic, TopicPartition
from kanal.client.records import ConsumerRecord
from kanal.errors import KanalError, TopicAlreadyExists

from kanal_connect.data.record import SinkRecord
from kanal_connect.runtime.client_overrides import ADMIN, PRODUCER, client_settings
from kanal_connect.runtime.consumed_originals import ConsumedOriginals
from kanal_connect.runtime.error_handling import ErrorSettings, FailureContext, Stage

log = logging.getLogger(__name__)


class DeadLetterQueue:
    """Writes failed records' original bytes to `errors.deadletterqueue.topic.name`, with the
    `__connect.errors.*` headers when `...context.headers.enable` is set."""

    def __init__(self, bootstrap: str, settings: ErrorSettings,
                 props: Mapping[str, str] | None = None) -> None:
        self._bootstrap = bootstrap
        self.settings = settings
        # The connector's producer.override.* / admin.override.* settings.
        self._producer_settings = client_settings(props or {}, PRODUCER)
        self._admin_settings = client_settings(props or {}, ADMIN)
        self._producer: AIOProducer | None = None
        # Reports can overlap (the runtime's and a task's own, from another coroutine): one
        # of them creates the topic and the producer, the others wait for it.
        self._starting = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        return bool(self.settings.dlq_topic)

    async def _ready(self) -> AIOProducer:
        if self._producer is not None:
            return self._producer
        async with self._starting:
            if self._producer is None:
                async with AIOAdmin(**{"bootstrap_servers": self._bootstrap,
                                       **self._admin_settings}) as admin:
                    if self.settings.dlq_topic not in await admin.list_topics():
                        await self._create(admin)
                producer = AIOProducer(**{"bootstrap_servers": self._bootstrap, "acks": "all",
                                          **self._producer_settings})
                await producer.start()
                self._producer = producer
            return self._producer

    async def _create(self, admin: AIOAdmin) -> None:
        topic = self.settings.dlq_topic
        with contextlib.suppress(TopicAlreadyExists):
            try:
                await admin.create_topics(
                    [NewTopic(topic, 1, self.settings.dlq_replication_factor)]
                )
            except TopicAlreadyExists:
                raise
            except KanalError:
                # More replicas than brokers (the default 3 on a dev cluster): use the
                # cluster's default, as a single-broker Kafka user would configure.
                await admin.create_topics([NewTopic(topic, 1, 0)])

    async def send(self, original: ConsumerRecord, failure: FailureContext) -> None:
        producer = await self._ready()
        headers = list(original.headers or ())
        if self.settings.dlq_context_headers:
            headers.extend(failure.headers())
        await producer.send_and_wait(
            self.settings.dlq_topic, original.value, original.key,
            headers=[(k, v) for k, v in headers if v is not None],
        )

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()


class ErrantReporter:
    """`context.errant_record_reporter`: the DLQ when there is one; with
    `errors.tolerance=none` a reported record fails the task, as in Kafka."""

    def __init__(
        self, dlq: DeadLetterQueue, originals: ConsumedOriginals,
        connector: str, task: int,
    ) -> None:
        self._dlq = dlq
        self._originals = originals
        self._connector = connector
        self._task = task

    async def report(self, record: SinkRecord, error: Exception) -> None:
        if not self._dlq.settings.tolerate_all:
            raise error
        original = self._originals.get(
            (record.topic, record.kafka_partition or 0, record.kafka_offset)
        )
        if self._dlq.enabled and original is not None:
            failure = FailureContext(
                self._connector, self._task, Stage.TASK_PUT, error,
                original.topic, original.partition, original.offset,
            )
            await self._dlq.send(original, failure)


class SinkContext:
    def __init__(
        self, assignment: Callable[[], set[TopicPartition]], reporter: ErrantReporter | None
    ) -> None:
        self._assignment = assignment
        self._reporter = reporter
        self.pending_seeks: dict[TopicPartition, int] = {}
        self.paused: set[TopicPartition] = set()
        self.commit_requested = False

    def offset(self, offsets: Mapping[TopicPartition, int]) -> None:
        self.pending_seeks.update(offsets)

    def assignment(self) -> frozenset[TopicPartition]:
        return frozenset(self._assignment())

    def pause(self, *partitions: TopicPartition) -> None:
        self.paused.update(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self.paused.difference_update(partitions)

    def request_commit(self) -> None:
        self.commit_requested = True

    @property
    def errant_record_reporter(self) -> ErrantReporter | None:
        return self._reporter
