"""Per-record futures over one per-batch result: values, errors, callbacks, await."""

from __future__ import annotations

import asyncio
import threading

import pytest
from kanal.client.futures import BatchResult, FutureRecordMetadata
from kanal.client.records import RecordMetadata
from kanal.errors import KanalTimeoutError, NotEnoughReplicas
from kanal.types import TopicPartition


def futures_of(result: BatchResult, count: int) -> list[FutureRecordMetadata]:
    tp = TopicPartition("t", 3)
    return [FutureRecordMetadata(result, i, tp, 1000 + i, 2, 5) for i in range(count)]


def test_offsets_follow_the_batch_base_offset() -> None:
    result = BatchResult()
    futures = futures_of(result, 3)
    assert not futures[0].is_done
    result.succeed(base_offset=40)
    assert [f.get(timeout=0).offset for f in futures] == [40, 41, 42]
    assert futures[2].get(timeout=0) == RecordMetadata("t", 3, 42, 1002, 2, 5)


def test_log_append_time_replaces_the_record_timestamp() -> None:
    result = BatchResult()
    (future,) = futures_of(result, 1)
    result.succeed(base_offset=0, log_append_time=777)
    assert future.get(timeout=0).timestamp == 777


def test_get_times_out_and_errors_are_raised() -> None:
    result = BatchResult()
    (future,) = futures_of(result, 1)
    with pytest.raises(KanalTimeoutError):
        future.get(timeout=0.01)
    result.fail(NotEnoughReplicas("isr too small"))
    with pytest.raises(NotEnoughReplicas):
        future.get(timeout=0)
    assert future.failed() and future.value is None


def test_callbacks_run_once_with_kafka_python_arguments() -> None:
    result = BatchResult()
    first, second = futures_of(result, 2)
    calls: list[tuple[object, ...]] = []
    first.add_callback(lambda tag, meta: calls.append((tag, meta.offset)), "ok")
    first.add_errback(lambda exc: calls.append(("err", exc)))
    result.succeed(base_offset=10)
    second.add_callback(lambda meta: calls.append(("late", meta.offset)))  # already done
    assert calls == [("ok", 10), ("late", 11)]


def test_errbacks_see_the_error() -> None:
    result = BatchResult()
    (future,) = futures_of(result, 1)
    errors: list[BaseException] = []
    future.add_errback(errors.append)
    error = NotEnoughReplicas("nope")
    result.fail(error)
    result.succeed(base_offset=1)  # settled once: ignored
    assert errors == [error]


def test_a_raising_callback_does_not_stop_the_others() -> None:
    result = BatchResult()
    (future,) = futures_of(result, 1)
    seen: list[int] = []
    future.add_callback(lambda meta: 1 / 0)
    future.add_callback(lambda meta: seen.append(meta.offset))
    result.succeed(base_offset=5)
    assert seen == [5]


async def test_await_resolves_when_another_thread_completes() -> None:
    result = BatchResult()
    futures = futures_of(result, 2)
    timer = threading.Timer(0.05, result.succeed, kwargs={"base_offset": 7})
    timer.start()
    metas = await asyncio.wait_for(asyncio.gather(*futures), 5)
    timer.join()
    assert [m.offset for m in metas] == [7, 8]


async def test_await_raises_the_error() -> None:
    result = BatchResult()
    (future,) = futures_of(result, 1)
    asyncio.get_running_loop().call_later(0.01, result.fail, NotEnoughReplicas("x"))
    with pytest.raises(NotEnoughReplicas):
        await future
