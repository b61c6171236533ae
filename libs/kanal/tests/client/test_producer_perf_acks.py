"""`kanal perf produce` times acknowledgements per batch (kanal.cli.perf.acks): each record
still gets its own send-to-acknowledgement latency, and every record is counted once."""

from __future__ import annotations

from collections.abc import Callable

from kanal.cli.perf.acks import AckTimer
from kanal.cli.perf.stats import LatencyStats
from kanal.client.futures import BatchResult, FutureRecordMetadata
from kanal.errors import KanalError, RequestTimedOut
from kanal.types import TopicPartition

TP = TopicPartition("t", 0)


def futures(result: BatchResult, count: int) -> list[FutureRecordMetadata]:
    return [FutureRecordMetadata(result, i, TP, 0, -1, 10) for i in range(count)]


def timer(now: list[float]) -> tuple[AckTimer, LatencyStats, list[KanalError]]:
    stats = LatencyStats(100, clock=lambda: now[0])
    errors: list[KanalError] = []
    return AckTimer(stats, 10, errors.append, clock=lambda: now[0]), stats, errors


def test_each_record_is_timed_from_its_send_to_its_batchs_answer() -> None:
    now = [0.0]
    acks, stats, errors = timer(now)
    first, second = BatchResult(), BatchResult()
    for index, future in enumerate(futures(first, 3)):
        acks.sent(future, index, index * 0.001)  # sent at 0, 1 and 2 ms
    for index, future in enumerate(futures(second, 2), start=3):
        acks.sent(future, index, 0.004)
    now[0] = 0.010
    first.succeed(0)
    now[0] = 0.020
    second.succeed(3)
    figures = stats.summary()
    assert figures["records"] == 5 and not errors
    assert figures["latency_ms"]["max"] == 16.0  # 4 ms -> 20 ms
    assert abs(figures["latency_ms"]["avg"] - (10 + 9 + 8 + 16 + 16) / 5) < 1e-9


class CountingResult(BatchResult):
    __slots__ = ("callbacks",)

    def __init__(self) -> None:
        super().__init__()
        self.callbacks = 0

    def add_done_callback(self, callback: Callable[[], None]) -> None:
        self.callbacks += 1
        super().add_done_callback(callback)


def test_one_callback_per_batch() -> None:
    acks, stats, _ = timer([0.0])
    result = CountingResult()
    for index, future in enumerate(futures(result, 50)):
        acks.sent(future, index, 0.0)
    result.succeed(0)
    assert result.callbacks == 1 and stats.summary()["records"] == 50


def test_a_record_sent_after_its_batch_was_answered_gets_the_answer_time() -> None:
    now = [0.0]
    acks, stats, _ = timer(now)
    result = BatchResult()
    early, late = futures(result, 2)
    acks.sent(early, 0, 0.0)
    now[0] = 0.005
    result.succeed(0)  # answered before the second record was handed to the timer
    now[0] = 0.050
    acks.sent(late, 1, 0.001)
    figures = stats.summary()
    assert figures["records"] == 2
    assert figures["latency_ms"]["max"] == 5.0


def test_failed_records_are_reported_once_each_and_not_timed() -> None:
    acks, stats, errors = timer([0.0])
    result = BatchResult()
    for index, future in enumerate(futures(result, 4)):
        acks.sent(future, index, 0.0)
    result.fail(RequestTimedOut("no answer"))
    assert len(errors) == 4 and stats.summary()["records"] == 0
