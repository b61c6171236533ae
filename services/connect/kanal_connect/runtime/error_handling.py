"""Kafka Connect's error handling (KIP-298) for one task: retries of retriable failures
within `errors.retry.timeout` (exponential backoff capped by `errors.retry.delay.max.ms`),
`errors.tolerance` none|all, `errors.log.enable`, and for sinks the dead letter queue with
the `__connect.errors.*` context headers."""

from __future__ import annotations

import asyncio
import enum
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from kanal_connect.config.definition import parse_key
from kanal_connect.errors import RetriableError
from kanal_connect.runtime.connector_config import ERROR_KEYS, SINK_KEYS

log = logging.getLogger(__name__)

T = TypeVar("T")

HEADER_PREFIX = "__connect.errors."
INITIAL_BACKOFF_S = 0.3


class Stage(enum.Enum):
    """Kafka's `Stage` names, as the DLQ's `__connect.errors.stage` header carries them."""

    KEY_CONVERTER = "KEY_CONVERTER"
    VALUE_CONVERTER = "VALUE_CONVERTER"
    HEADER_CONVERTER = "HEADER_CONVERTER"
    TRANSFORMATION = "TRANSFORMATION"
    TASK_PUT = "TASK_PUT"
    TASK_POLL = "TASK_POLL"
    KAFKA_PRODUCE = "KAFKA_PRODUCE"
    KAFKA_CONSUME = "KAFKA_CONSUME"


def as_operation(function: Callable[[], T]) -> Callable[[], Awaitable[T]]:
    """A synchronous stage (a converter, the transformation chain) as an operation."""

    async def run() -> T:
        return function()

    return run


class ToleratedError(Exception):
    """The record failed and `errors.tolerance=all` says skip it."""


@dataclass(frozen=True, slots=True)
class ErrorSettings:
    retry_timeout_ms: int = 0
    retry_delay_max_ms: int = 60_000
    tolerate_all: bool = False
    log_enable: bool = False
    log_messages: bool = False
    dlq_topic: str = ""
    dlq_replication_factor: int = 3
    dlq_context_headers: bool = False

    @classmethod
    def from_props(cls, props: Mapping[str, str]) -> ErrorSettings:
        keys = {k.name: k for k in (*ERROR_KEYS, *SINK_KEYS)}

        def value(name: str) -> object:
            return parse_key(keys[name], props)

        return cls(
            retry_timeout_ms=int(str(value("errors.retry.timeout"))),
            retry_delay_max_ms=int(str(value("errors.retry.delay.max.ms"))),
            tolerate_all=value("errors.tolerance") == "all",
            log_enable=bool(value("errors.log.enable")),
            log_messages=bool(value("errors.log.include.messages")),
            dlq_topic=str(value("errors.deadletterqueue.topic.name") or ""),
            dlq_replication_factor=int(str(value("errors.deadletterqueue.topic.replication.factor"))),
            dlq_context_headers=bool(value("errors.deadletterqueue.context.headers.enable")),
        )


@dataclass(frozen=True, slots=True)
class FailureContext:
    """Where a record failed: what the DLQ headers and the error log describe."""

    connector: str
    task: int
    stage: Stage
    error: BaseException
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None

    def headers(self) -> list[tuple[str, bytes]]:
        cause = self.error
        fields: list[tuple[str, str | None]] = [
            ("topic", self.topic),
            ("partition", None if self.partition is None else str(self.partition)),
            ("offset", None if self.offset is None else str(self.offset)),
            ("connector.name", self.connector),
            ("task.id", str(self.task)),
            ("stage", self.stage.value),
            ("class.name", type(cause).__module__ + "." + type(cause).__qualname__),
            ("exception.class.name", type(cause).__qualname__),
            ("exception.message", str(cause)),
            ("exception.stacktrace", "".join(traceback.format_exception(cause))),
        ]
        return [(HEADER_PREFIX + name, v.encode()) for name, v in fields if v is not None]


class RetryWithTolerance:
    """Runs one stage of one record: retries, then tolerates or raises."""

    def __init__(self, settings: ErrorSettings, connector: str, task: int) -> None:
        self.settings = settings
        self.connector = connector
        self.task = task
        self.failures = 0
        self.skipped = 0

    async def execute(
        self, operation: Callable[[], Awaitable[T]], stage: Stage,
        where: Mapping[str, object] | None = None,
    ) -> T:
        """The operation's result; raises ToleratedError when the record is to be skipped,
        or the error itself when it is not tolerated."""
        try:
            return await operation()
        except Exception as error:
            return await self._after_failure(error, operation, stage, where)

    async def run(
        self, function: Callable[[], T], stage: Stage,
        where: Callable[[], Mapping[str, object]] | None = None,
    ) -> T:
        """`execute` of a synchronous stage (a converter, the transformation chain): the
        per-record fast path calls it directly and enters the retry and tolerance machinery
        only once it raised (`where` is only built then)."""
        try:
            return function()
        except Exception as error:
            return await self._after_failure(
                error, as_operation(function), stage, where() if where is not None else None
            )

    async def _after_failure(
        self, first: Exception, operation: Callable[[], Awaitable[T]], stage: Stage,
        where: Mapping[str, object] | None,
    ) -> T:
        """Retries after a first failed attempt, then tolerates or raises."""
        deadline = time.monotonic() + self.settings.retry_timeout_ms / 1000
        backoff = INITIAL_BACKOFF_S
        error = first
        while isinstance(error, RetriableError) and (
            self.settings.retry_timeout_ms < 0 or time.monotonic() + backoff < deadline
        ):
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.settings.retry_delay_max_ms / 1000)
            try:
                return await operation()
            except Exception as again:
                error = again
        # Retries spent (or not retriable): now errors.tolerance decides.
        self._record_failure(stage, error, where)
        if self.settings.tolerate_all:
            self.skipped += 1
            raise ToleratedError(str(error)) from error
        raise error

    def _record_failure(
        self, stage: Stage, error: BaseException, where: Mapping[str, object] | None
    ) -> None:
        self.failures += 1
        if self.settings.log_enable:
            detail = f" record {dict(where)}" if where and self.settings.log_messages else ""
            log.error(
                "Error encountered in task %s-%d. Executing stage '%s'.%s: %s",
                self.connector, self.task, stage.value, detail, error,
            )
