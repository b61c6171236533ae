"""Kafka Connect's KafkaBasedLog: a compacted topic read from its beginning and followed.

Every partition is assigned to a group-less consumer (each worker needs the whole topic);
`on_record` is called for every record in offset order per partition, from one asyncio task.
`read_to_end()` waits until what the log end offsets were when it was called has been
applied: a write followed by `read_to_end()` is therefore visible in the local view.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence

from kanal import AIOAdmin, AIOConsumer, AIOProducer, NewTopic, TopicPartition
from kanal.client.records import RecordMetadata
from kanal.errors import KanalError, TopicAlreadyExists

log = logging.getLogger(__name__)

RecordHandler = Callable[[bytes | None, bytes | None], None]


async def ensure_compacted_topic(bootstrap: str, topic: str, partitions: int) -> None:
    """Create `topic` compacted with `partitions` unless it exists (any worker may race)."""
    async with AIOAdmin(bootstrap_servers=bootstrap) as admin:
        if topic in await admin.list_topics():
            return
        with contextlib.suppress(TopicAlreadyExists):
            await admin.create_topics(
                [NewTopic(topic, partitions, 0, {"cleanup.policy": "compact"})]
            )


class TopicLog:
    def __init__(self, bootstrap: str, topic: str, on_record: RecordHandler) -> None:
        self.topic = topic
        self._bootstrap = bootstrap
        self._on_record = on_record
        self._consumer: AIOConsumer | None = None
        self._producer: AIOProducer | None = None
        self._positions: dict[TopicPartition, int] = {}
        self._progress = asyncio.Condition()
        self._follower: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None

    async def start(self) -> None:
        self._producer = AIOProducer(bootstrap_servers=self._bootstrap, acks="all", linger_ms=0)
        await self._producer.start()
        consumer = self._consumer = AIOConsumer(
            bootstrap_servers=self._bootstrap, auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        partitions = await self._partitions(consumer)
        tps = [TopicPartition(self.topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        self._positions = dict.fromkeys(tps, 0)
        self._follower = asyncio.create_task(self._follow(), name=f"follow-{self.topic}")
        await self.read_to_end()

    async def _partitions(self, consumer: AIOConsumer) -> list[int]:
        """The topic's partitions; a topic created a moment ago may still lack leaders."""
        async with asyncio.timeout(30):
            while True:
                found = sorted(await consumer.partitions_for_topic(self.topic) or ())
                if found:
                    return found
                await asyncio.sleep(0.2)

    async def _follow(self) -> None:
        assert self._consumer is not None
        try:
            while True:
                batches = await self._consumer.getmany(timeout_ms=500)
                for tp, records in batches.items():
                    for record in records:
                        self._on_record(record.key, record.value)
                        self._positions[tp] = record.offset + 1
                async with self._progress:
                    self._progress.notify_all()
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # surfaced to read_to_end's callers
            log.exception("following %s failed", self.topic)
            self._failure = error
            async with self._progress:
                self._progress.notify_all()

    async def read_to_end(self, timeout_s: float = 30.0) -> None:
        assert self._consumer is not None
        ends = await self._consumer.end_offsets(list(self._positions))

        def caught_up() -> bool:
            return self._failure is not None or all(
                self._positions[tp] >= end for tp, end in ends.items()
            )

        async with asyncio.timeout(timeout_s), self._progress:
            while not caught_up():
                # A compacted tail can end below the log end offset: ask the consumer.
                for tp, end in ends.items():
                    if self._positions[tp] < end:
                        self._positions[tp] = max(
                            self._positions[tp], await self._consumer.position(tp)
                        )
                if not caught_up():
                    await self._progress.wait()
        if self._failure is not None:
            raise KanalError(f"cannot read {self.topic}: {self._failure}")

    async def send(self, key: bytes, value: bytes | None) -> RecordMetadata:
        assert self._producer is not None
        return await self._producer.send_and_wait(self.topic, value, key)

    async def send_all(self, records: Sequence[tuple[bytes, bytes | None]]) -> None:
        """Write records in order and wait until all are acknowledged."""
        assert self._producer is not None
        futures = [await self._producer.send(self.topic, v, k) for k, v in records]
        for future in futures:
            await future

    def positions(self) -> Mapping[TopicPartition, int]:
        return dict(self._positions)

    async def stop(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follower
        if self._consumer is not None:
            await self._consumer.stop(autocommit=False)
        if self._producer is not None:
            await self._producer.stop()
