"""The reassignment throttle's token bucket, and a leader's view following a replica-set
change within one leader epoch (pure code, a test clock)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kanal_broker.replication.leader_view import LeaderView
from kanal_broker.replication.throttle import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_debt_is_waited_out_at_the_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(clock)
    clock.now += 1
    assert bucket.delay_s(1000) == 0  # a second's worth accumulated
    bucket.spend(1000, 3000)  # one answer may overdraw
    assert bucket.delay_s(1000) == pytest.approx(2.001)
    clock.now += 2.5
    assert bucket.delay_s(1000) == 0


def test_idle_time_accumulates_at_most_one_second() -> None:
    clock = Clock()
    bucket = TokenBucket(clock)
    clock.now += 60
    bucket.spend(1000, 1500)
    assert bucket.delay_s(1000) > 0


@given(st.lists(st.tuples(st.integers(0, 50_000), st.floats(0, 2)), max_size=50),
       st.integers(1, 100_000))
def test_what_is_spent_never_outruns_the_rate(steps: list[tuple[int, float]],
                                              rate: int) -> None:
    """Bytes let through up to time t <= rate * t + one second's worth + the last answer."""
    clock = Clock()
    bucket = TokenBucket(clock)
    start, spent, largest = clock.now, 0, 0
    for size, pause in steps:
        clock.now += pause
        if bucket.delay_s(rate) == 0:
            bucket.spend(rate, size)
            spent += size
            largest = max(largest, size)
    assert spent <= rate * (clock.now - start) + rate + largest + 1


def test_a_leader_view_tracks_replicas_added_and_removed_in_its_epoch() -> None:
    view = LeaderView.start(leader=1, leader_epoch=0, replicas=(1, 2, 3), isr=(1, 2, 3),
                            partition_epoch=0, log_end_offset=0, now_ms=0)
    view.follower_fetched(2, 10, 10, now_ms=5)
    view.replicas_changed((4, 2, 3, 1), now_ms=7)
    assert set(view.followers) == {2, 3, 4}
    assert view.followers[2].log_end_offset == 10  # kept
    assert view.lag(4, 10) is None  # unknown until it fetches
    view.follower_fetched(4, 10, 10, now_ms=8)
    view.follower_fetched(3, 10, 10, now_ms=8)
    assert 4 in view.wanted_isr(high_watermark=10, now_ms=9, lag_time_max_ms=1000)
    view.replicas_changed((4, 2, 1), now_ms=9)  # 3 removed
    assert set(view.followers) == {2, 4}
    assert 3 not in view.wanted_isr(high_watermark=10, now_ms=9, lag_time_max_ms=1000)
