"""`RetryWithTolerance.run`, the per-record fast path of synchronous stages: the same
retries, tolerance and error log as `execute`, with the record's location built only when
a stage failed."""

from __future__ import annotations

import logging

import pytest
from kanal_connect.errors import DataException, RetriableError
from kanal_connect.runtime.error_handling import (
    ErrorSettings,
    RetryWithTolerance,
    Stage,
    ToleratedError,
)


class FlakySync:
    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "ok"


class Where:
    def __init__(self) -> None:
        self.built = 0

    def __call__(self) -> dict[str, object]:
        self.built += 1
        return {"topic": "t", "partition": 0, "offset": 7}


async def test_a_stage_that_succeeds_runs_once_and_builds_no_location() -> None:
    policy = RetryWithTolerance(ErrorSettings(), "c", 0)
    stage, where = FlakySync(0, DataException("never")), Where()
    assert await policy.run(stage, Stage.VALUE_CONVERTER, where) == "ok"
    assert (stage.calls, where.built, policy.failures) == (1, 0, 0)


async def test_retriable_failures_of_the_first_call_are_retried() -> None:
    policy = RetryWithTolerance(ErrorSettings(retry_timeout_ms=5_000), "c", 0)
    stage = FlakySync(2, RetriableError("again"))
    assert await policy.run(stage, Stage.TRANSFORMATION) == "ok"
    assert stage.calls == 3 and policy.failures == 0


async def test_a_failure_is_tolerated_or_raised_and_logged_with_its_location(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = ErrorSettings(tolerate_all=True, log_enable=True, log_messages=True)
    lenient, where = RetryWithTolerance(settings, "c", 0), Where()
    with caplog.at_level(logging.ERROR), pytest.raises(ToleratedError) as skipped:
        await lenient.run(FlakySync(1, DataException("bad")), Stage.KEY_CONVERTER, where)
    assert isinstance(skipped.value.__cause__, DataException)
    assert (lenient.failures, lenient.skipped, where.built) == (1, 1, 1)
    assert "'offset': 7" in caplog.text and "KEY_CONVERTER" in caplog.text
    strict = RetryWithTolerance(ErrorSettings(), "c", 0)
    stage = FlakySync(1, RetriableError("again"))
    with pytest.raises(RetriableError):  # no retry time: not retried, not tolerated
        await strict.run(stage, Stage.VALUE_CONVERTER)
    assert stage.calls == 1 and strict.failures == 1
