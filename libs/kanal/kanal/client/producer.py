"""The sync producer, named and shaped like kafka-python's KafkaProducer.

send() serializes, picks the partition and appends to the accumulator in the caller's thread;
a private event loop in a daemon thread runs the sender. So the calling thread only pays for
the append, and many threads may send at once.
"""

from __future__ import annotations

import atexit
import functools
import weakref
from typing import Any

from kanal.client.config import ProducerConfig, build_config
from kanal.client.futures import FutureRecordMetadata
from kanal.client.loop_thread import LoopThread
from kanal.client.producer_core import ProducerCore, Shortage
from kanal.client.records import Headers
from kanal.client.sync_facade import SyncFacade
from kanal.errors import ClientClosed
from kanal.records.builder import InputHeaders

# How long an unclosed producer may spend sending its buffered records at interpreter exit.
EXIT_FLUSH_S = 30.0


async def _create_core(config: ProducerConfig) -> ProducerCore:
    return ProducerCore(config)


class Producer(SyncFacade):
    """`Producer(bootstrap_servers="h:p", acks="all", linger_ms=5, ...)`; see ProducerConfig
    for every setting. Works as a context manager (close on exit)."""

    def __init__(self, **configs: Any) -> None:
        self.config: ProducerConfig = build_config(ProducerConfig, configs)
        self._max_block_s = self.config.max_block_ms / 1000
        self._key_serializer = self.config.key_serializer
        self._value_serializer = self.config.value_serializer
        self._thread = LoopThread(name="kanal-producer")
        try:
            self._core = self._thread.run(_create_core(self.config), self._max_block_s)
        except BaseException:
            self._thread.stop()
            raise
        self._append_sticky = self._core.accumulator.append_sticky
        # One test on the hot path instead of three: records go through serializers or a
        # tracing span first (_send_prepared) only when one of them is there.
        self._prepares = (self._key_serializer is not None
                          or self._value_serializer is not None
                          or self._core.tracing is not None)
        self._closed = False
        # Like kafka-python: records still buffered when the interpreter exits are sent.
        self._at_exit = functools.partial(_close_at_exit, weakref.ref(self))
        atexit.register(self._at_exit)

    def send(  # noqa: PLR0917 - kafka-python's positional order
        self,
        topic: str,
        value: Any = None,
        key: Any = None,
        headers: Headers | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
    ) -> FutureRecordMetadata:
        """Queue a record; the future resolves to its RecordMetadata once acknowledged.
        Blocks only for buffer memory or a new topic's metadata (up to max_block_ms)."""
        if self._prepares:
            return self._send_prepared(topic, value, key, headers, partition, timestamp_ms)
        if key is None and partition is None:
            # The common case straight to the accumulator (a call less per record): a keyless
            # record for the open batch of its topic's sticky partition.
            future = self._append_sticky(topic, timestamp_ms, value, headers)
            if future is not None:
                return future
        return self._append(self._core, topic, key, value, partition, timestamp_ms, headers)

    def _send_prepared(  # noqa: PLR0917 - send()'s arguments
        self, topic: str, value: Any, key: Any, headers: Headers | None,
        partition: int | None, timestamp_ms: int | None,
    ) -> FutureRecordMetadata:
        """send() with serializers or tracing."""
        if self._key_serializer is not None:
            key = self._key_serializer(key)
        if self._value_serializer is not None:
            value = self._value_serializer(value)
        core = self._core
        if core.tracing is not None:
            return core.tracing.send(topic, partition, headers, functools.partial(
                self._append, core, topic, key, value, partition, timestamp_ms))
        if key is None and partition is None:
            future = self._append_sticky(topic, timestamp_ms, value, headers)
            if future is not None:
                return future
        return self._append(core, topic, key, value, partition, timestamp_ms, headers)

    def _append(  # noqa: PLR0917 - send()'s arguments, headers last for the tracing wrapper
        self, core: ProducerCore, topic: str, key: bytes | None, value: bytes | None,
        partition: int | None, timestamp_ms: int | None, headers: InputHeaders | None,
    ) -> FutureRecordMetadata:
        while True:
            result = core.append(
                topic, key, value, headers, partition, timestamp_ms, self._max_block_s
            )
            if type(result) is FutureRecordMetadata:
                return result
            assert result is Shortage.METADATA
            self._thread.run(core.ensure_topic(topic), self._max_block_s + 1)

    def flush(self, timeout: float | None = None) -> None:
        """Send everything buffered now and wait for the answers (KanalTimeoutError)."""
        if self._closed:
            return
        self._thread.run(self._core.flush(timeout), None if timeout is None else timeout + 1)

    def partitions_for(self, topic: str) -> set[int]:
        if self._closed:
            raise ClientClosed("the producer is closed")
        known = self._core.partitions_for(topic)
        if known is None:
            known = self._thread.run(self._core.ensure_topic(topic), self._max_block_s + 1)
        return set(known[0])

    def metrics(self) -> dict[str, dict[str, float]]:
        return self._core.metrics()

    def close(self, timeout: float | None = None) -> None:
        """Send what is buffered (up to `timeout` s), then stop the background thread."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self._at_exit)
        try:
            self._thread.run(self._core.close(timeout), None if timeout is None else timeout + 5)
        finally:
            self._thread.stop(timeout_s=10)


def _close_at_exit(ref: weakref.ref[Producer]) -> None:
    producer = ref()
    if producer is not None:
        producer.close(timeout=EXIT_FLUSH_S)
