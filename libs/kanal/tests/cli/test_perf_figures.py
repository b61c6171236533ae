from __future__ import annotations

from array import array

from kanal.cli.perf.produce import random_payload
from kanal.cli.perf.stats import LatencyStats, percentile, summary_line
from kanal.cli.perf.throttle import ThroughputThrottler

NS = 1_000_000_000


def test_unlimited_never_throttles() -> None:
    throttler = ThroughputThrottler(-1, 0)
    assert not throttler.should_throttle(10**9, 1)


def test_throttles_above_the_target_rate_and_sleeps_its_deficit() -> None:
    slept: list[float] = []
    throttler = ThroughputThrottler(100, 0, sleep=slept.append)  # 100 records/s: 10 ms each
    assert throttler.should_throttle(200, NS)  # 200 records in 1 s
    assert not throttler.should_throttle(50, NS)
    assert not throttler.should_throttle(1, 0)  # no time elapsed yet
    throttler.throttle()
    assert slept and abs(slept[0] - 0.01) < 1e-9


def test_tiny_sleeps_accumulate_until_worth_sleeping() -> None:
    slept: list[float] = []
    throttler = ThroughputThrottler(1_000_000, 0, sleep=slept.append)  # 1 us per record
    for _ in range(1999):
        throttler.throttle()
    assert slept == []
    throttler.throttle()  # 2000 us of deficit: now it sleeps
    assert len(slept) == 1


def test_percentiles_use_kafkas_index() -> None:
    values = array("d", [float(v) for v in range(1, 101)])
    assert percentile(values, 0.5) == 51.0
    assert percentile(values, 0.999) == 100.0
    assert percentile(array("d"), 0.5) == 0.0


def test_summary_has_the_json_keys_and_a_kafka_style_line() -> None:
    now = [0.0]
    stats = LatencyStats(4, clock=lambda: now[0])
    for index, latency in enumerate([1.0, 2.0, 3.0, 10.0]):
        stats.record(index, latency, 100)
    now[0] = 2.0
    window = stats.take_window()
    assert window.records == 4
    figures = stats.summary()
    assert figures["records"] == 4
    assert figures["records_per_sec"] == 2.0
    assert figures["latency_ms"]["avg"] == 4.0
    assert figures["latency_ms"]["max"] == 10.0
    assert set(figures["latency_ms"]) >= {"avg", "p50", "p95", "p99", "p999"}
    assert summary_line(figures).startswith("4 records sent, 2.0 records/sec")


def test_sampling_bounds_memory() -> None:
    assert LatencyStats(10_000_000).sampling == 20
    assert LatencyStats(10).sampling == 1


def test_payload_is_uppercase_letters_of_the_size() -> None:
    payload = random_payload(1000, seed=1)
    assert len(payload) == 1000
    assert set(payload) <= set(range(65, 91))
