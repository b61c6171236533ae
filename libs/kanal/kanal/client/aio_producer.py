"""The asyncio producer, named and shaped like aiokafka's AIOKafkaProducer."""

from __future__ import annotations

import functools
import time
from types import TracebackType
from typing import Any

from kanal.client.config import ProducerConfig, build_config
from kanal.client.futures import FutureRecordMetadata
from kanal.client.producer_core import ProducerCore, Shortage
from kanal.client.records import Headers, RecordMetadata
from kanal.errors import ClientClosed
from kanal.records.builder import InputHeaders


class AIOProducer:
    """`await producer.send(topic, value, key=...)` appends and returns an awaitable future;
    `send_and_wait` also awaits the acknowledgement. Starts on first use or `await start()`."""

    def __init__(self, **configs: Any) -> None:
        self.config: ProducerConfig = build_config(ProducerConfig, configs)
        self._core: ProducerCore | None = None
        self._closed = False

    async def start(self) -> None:
        if self._closed:
            raise ClientClosed("the producer is closed")
        if self._core is None:
            self._core = ProducerCore(self.config)

    async def __aenter__(self) -> AIOProducer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _started(self) -> ProducerCore:
        if self._core is None:
            await self.start()
        assert self._core is not None
        return self._core

    async def send(  # noqa: PLR0917 - aiokafka's positional order
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: Headers | None = None,
    ) -> FutureRecordMetadata:
        core = self._core or await self._started()
        config = self.config
        key_bytes = config.key_serializer(key) if config.key_serializer is not None else key
        value_bytes = (
            config.value_serializer(value) if config.value_serializer is not None else value
        )
        if core.tracing is not None:
            return await core.tracing.send_async(topic, partition, headers, functools.partial(
                self._append, core, topic, key_bytes, value_bytes, partition, timestamp_ms))
        return await self._append(core, topic, key_bytes, value_bytes, partition, timestamp_ms,
                                  headers)

    async def _append(  # noqa: PLR0917 - send()'s arguments, headers last for tracing
        self, core: ProducerCore, topic: str, key_bytes: bytes | None,
        value_bytes: bytes | None, partition: int | None, timestamp_ms: int | None,
        headers: InputHeaders | None,
    ) -> FutureRecordMetadata:
        config = self.config
        deadline = 0.0
        while True:
            result = core.append(
                topic, key_bytes, value_bytes, headers, partition, timestamp_ms, None
            )
            if type(result) is FutureRecordMetadata:
                return result
            if result is Shortage.METADATA:
                await core.ensure_topic(topic)
            else:
                deadline = deadline or time.monotonic() + config.max_block_ms / 1000
                await core.wait_for_memory(deadline)

    async def send_and_wait(  # noqa: PLR0917 - aiokafka's positional order
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: Headers | None = None,
    ) -> RecordMetadata:
        future = await self.send(topic, value, key, partition, timestamp_ms, headers)
        return await future

    async def flush(self) -> None:
        """Send everything buffered now and await the answers (bound it with
        asyncio.timeout)."""
        if self._core is not None:
            await self._core.flush(None)

    async def partitions_for(self, topic: str) -> set[int]:
        core = await self._started()
        return set((await core.ensure_topic(topic))[0])

    def metrics(self) -> dict[str, dict[str, float]]:
        return self._core.metrics() if self._core is not None else {}

    async def stop(self) -> None:
        """Send what is buffered (at most delivery_timeout_ms), then release everything."""
        self._closed = True
        if self._core is not None:
            await self._core.close(self.config.delivery_timeout_ms / 1000)

    close = stop
