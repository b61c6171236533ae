"""RetryWithTolerance (KIP-298): retries, tolerance and the DLQ context headers."""

from __future__ import annotations

import pytest
from kanal_connect.errors import DataException, RetriableError
from kanal_connect.runtime.error_handling import (
    ErrorSettings,
    FailureContext,
    RetryWithTolerance,
    Stage,
    ToleratedError,
)


class Flaky:
    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "ok"


async def test_retriable_errors_are_retried_within_the_timeout() -> None:
    policy = RetryWithTolerance(ErrorSettings(retry_timeout_ms=5_000), "c", 0)
    flaky = Flaky(2, RetriableError("again"))
    assert await policy.execute(flaky, Stage.TASK_PUT) == "ok"
    assert flaky.calls == 3 and policy.failures == 0


async def test_without_retries_tolerance_decides() -> None:
    strict = RetryWithTolerance(ErrorSettings(), "c", 0)
    with pytest.raises(RetriableError):
        await strict.execute(Flaky(1, RetriableError("again")), Stage.VALUE_CONVERTER)
    lenient = RetryWithTolerance(ErrorSettings(tolerate_all=True, log_enable=True), "c", 0)
    with pytest.raises(ToleratedError):
        await lenient.execute(Flaky(1, DataException("bad")), Stage.VALUE_CONVERTER)
    with pytest.raises(ToleratedError):  # retries spent: tolerated too
        await lenient.execute(Flaky(9, RetriableError("again")), Stage.KEY_CONVERTER)
    assert (lenient.failures, lenient.skipped) == (2, 2)


def test_settings_from_a_connector_config() -> None:
    settings = ErrorSettings.from_props({
        "errors.tolerance": "all", "errors.retry.timeout": "-1",
        "errors.deadletterqueue.topic.name": "dlq",
        "errors.deadletterqueue.context.headers.enable": "true"})
    assert settings.tolerate_all and settings.retry_timeout_ms == -1
    assert settings.dlq_topic == "dlq" and settings.dlq_context_headers


def test_context_headers_carry_kafkas_names() -> None:
    failure = FailureContext("c", 3, Stage.TRANSFORMATION, DataException("no"), "t", 1, 42)
    headers = dict(failure.headers())
    assert {name.removeprefix("__connect.errors.") for name in headers} == {
        "topic", "partition", "offset", "connector.name", "task.id", "stage", "class.name",
        "exception.class.name", "exception.message", "exception.stacktrace"}
    assert headers["__connect.errors.offset"] == b"42"
    assert headers["__connect.errors.stage"] == b"TRANSFORMATION"
