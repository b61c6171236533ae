"""The `_schemas` topic as this instance sees it: one reader that applies every record to the
state in log order, and (on the primary) a writer.

Positions: `position` is the offset of the next record the reader will apply. The instance is
caught up once `position` reaches the log end offset read at some moment; a write is visible
in the state once `position` passes the offset the broker gave it. Waiting on that after each
write is what gives the primary (and any client it answers) read-your-writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from kanal.client.aio_admin import AIOAdmin
from kanal.client.aio_consumer import AIOConsumer
from kanal.client.aio_producer import AIOProducer
from kanal.client.records import NewTopic
from kanal.errors import KanalError, TopicAlreadyExists
from kanal.types import TopicPartition

from kanal_registry.errors import OperationTimedOut, StoreError
from kanal_registry.state.registry_state import RegistryState
from kanal_registry.store.records import Record

log = logging.getLogger(__name__)

SCHEMAS_TOPIC = "_schemas"
_MAX_REPLICATION_FACTOR = 3
_RETRY_BACKOFF_S = 0.5
_FETCH_WAIT_MS = 100


class SchemasLog:
    def __init__(self, bootstrap: str, state: RegistryState, *, topic: str = SCHEMAS_TOPIC,
                 write_timeout_s: float = 30.0) -> None:
        self._bootstrap = bootstrap
        self._state = state
        self._partition = TopicPartition(topic, 0)
        self._write_timeout_s = write_timeout_s
        self._position = 0
        self._moved = asyncio.Condition()
        self._consumer: AIOConsumer | None = None
        self._producer: AIOProducer | None = None
        self._reader: asyncio.Task[None] | None = None

    @property
    def position(self) -> int:
        return self._position

    async def start(self) -> None:
        """Create the topic if it is missing, then start following it from offset 0."""
        await self._ensure_topic()
        consumer = self._consumer = AIOConsumer(
            bootstrap_servers=self._bootstrap, enable_auto_commit=False,
            auto_offset_reset="earliest", fetch_max_wait_ms=_FETCH_WAIT_MS,
            client_id="kanal-schema-registry",
        )
        await consumer.start()
        consumer.assign([self._partition])
        consumer.seek(self._partition, 0)
        self._reader = asyncio.create_task(self._follow(consumer), name="schemas-reader")

    async def catch_up(self) -> None:
        """Return once every record written before the call is applied to the state."""
        end = await self._end_offset()
        await self.wait_for(end)

    async def wait_for(self, position: int) -> None:
        async with self._moved:
            await self._moved.wait_for(lambda: self._position >= position)

    async def write(self, records: Sequence[Record]) -> None:
        """Produce `records` with acks=all, in order, and wait until the reader applied them.
        Raises StoreError when the cluster refuses, OperationTimedOut when it is too slow."""
        if not records:
            return
        producer = await self._started_producer()
        try:
            async with asyncio.timeout(self._write_timeout_s):
                futures = [
                    await producer.send(self._partition.topic, value=r.value,
                                        key=r.key.encode(), partition=0)
                    for r in records
                ]
                last = None
                for future in futures:
                    last = await future
                assert last is not None
                await self.wait_for(last.offset + 1)
        except TimeoutError:
            raise OperationTimedOut("Write to the _schemas topic timed out") from None
        except KanalError as exc:
            raise StoreError(f"Write to the _schemas topic failed: {exc}") from exc

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._producer is not None:
            await self._producer.stop()
        if self._consumer is not None:
            await self._consumer.stop(autocommit=False)

    # ---- internals ------------------------------------------------------------------------

    async def _started_producer(self) -> AIOProducer:
        if self._producer is None:
            producer = AIOProducer(bootstrap_servers=self._bootstrap, acks="all", linger_ms=0,
                                   client_id="kanal-schema-registry",
                                   delivery_timeout_ms=int(self._write_timeout_s * 1000))
            await producer.start()
            self._producer = producer
        return self._producer

    async def _follow(self, consumer: AIOConsumer) -> None:
        while True:
            try:
                batches = await consumer.getmany(timeout_ms=1000)
                position = await consumer.position(self._partition)
            except KanalError as exc:
                log.warning("reading %s failed, retrying: %s", self._partition.topic, exc)
                await asyncio.sleep(_RETRY_BACKOFF_S)
                continue
            except Exception:
                # The reader must outlive any client failure: without it the state freezes
                # and every write times out.
                log.exception("unexpected failure reading %s, retrying", self._partition.topic)
                await asyncio.sleep(_RETRY_BACKOFF_S)
                continue
            for record in batches.get(self._partition, ()):
                self._state.apply(record.key, record.value)
                position = max(position, record.offset + 1)
            if position != self._position:
                async with self._moved:
                    self._position = max(self._position, position)
                    self._moved.notify_all()

    async def _end_offset(self) -> int:
        assert self._consumer is not None, "start() first"
        while True:
            try:
                ends = await self._consumer.end_offsets([self._partition])
                return ends[self._partition]
            except KanalError as exc:
                log.info("waiting for %s's end offset: %s", self._partition.topic, exc)
                await asyncio.sleep(_RETRY_BACKOFF_S)

    async def _ensure_topic(self) -> None:
        async with AIOAdmin(bootstrap_servers=self._bootstrap,
                            client_id="kanal-schema-registry") as admin:
            while True:
                try:
                    await self._create_if_missing(admin)
                    return
                except KanalError as exc:
                    log.info("waiting for the cluster to create %s: %s",
                             self._partition.topic, exc)
                    await asyncio.sleep(_RETRY_BACKOFF_S)

    async def _create_if_missing(self, admin: AIOAdmin) -> None:
        topic = self._partition.topic
        found = await admin.describe_topics([topic], include_internal=True, raise_errors=False)
        if found:
            return
        brokers = len((await admin.describe_cluster()).brokers)
        if brokers == 0:
            raise StoreError("no broker is registered yet")
        new = NewTopic(topic, num_partitions=1,
                       replication_factor=min(_MAX_REPLICATION_FACTOR, brokers),
                       topic_configs={"cleanup.policy": "compact"})
        try:
            await admin.create_topics([new])
            log.info("created %s (replication factor %d)", topic, new.replication_factor)
        except TopicAlreadyExists:
            pass
