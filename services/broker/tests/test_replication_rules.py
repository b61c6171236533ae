"""The pure rules of replication, against models: where a follower truncates (leader epochs),
what a leader commits and whom it keeps in the ISR, which fetched bytes a follower appends."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from kanal.records.header import iter_batches, set_base_offset
from kanal_broker.log.epoch_cache import EpochCache
from kanal_broker.replication.leader_view import LeaderView
from kanal_broker.replication.truncation import (
    LocalLog,
    epoch_end_on_leader,
    replicated_part,
    truncation_offset,
)
from kanal_broker.testing import make_batch


def epoch_cache(directory: Path, epochs: list[int]) -> EpochCache:
    """The cache a log whose offset i was written in epochs[i] holds."""
    cache = EpochCache(directory)
    for offset, epoch in enumerate(epochs):
        cache.assign(epoch, offset)
    return cache


@st.composite
def diverged_logs(draw: st.DrawFn) -> tuple[list[int], list[int], int]:
    """(leader's epochs per offset, follower's, where they diverge). A leader epoch has one
    leader whose log only grows, so an epoch the follower holds past the divergence point
    appears nowhere in the leader's log from there on."""
    steps = draw(st.lists(st.integers(0, 2), min_size=0, max_size=12))
    leader: list[int] = []
    epoch = 0
    for step in steps:
        epoch += step
        leader.append(epoch)
    common = draw(st.integers(0, len(leader)))
    later_in_leader = set(leader[common:])
    start = leader[common - 1] if common else 0
    candidates = [e for e in range(start, start + 8) if e not in later_in_leader]
    tail = sorted(draw(st.lists(st.sampled_from(candidates), max_size=6)))
    return leader, leader[:common] + tail, common


@settings(max_examples=150, deadline=None)
@given(diverged_logs())
async def test_the_follower_truncates_exactly_where_the_logs_diverge(
        logs: tuple[list[int], list[int], int]) -> None:
    leader_epochs, follower_epochs, common = logs
    with tempfile.TemporaryDirectory() as leader_dir, \
            tempfile.TemporaryDirectory() as follower_dir:
        leader = epoch_cache(Path(leader_dir), leader_epochs)
        follower = epoch_cache(Path(follower_dir), follower_epochs)

        async def ask_leader(epoch: int) -> tuple[int, int]:
            return epoch_end_on_leader(
                epoch, latest_epoch=leader.latest_epoch, log_end_offset=len(leader_epochs),
                lookup=lambda e: leader.end_offset_for(e, len(leader_epochs)))

        async def own_end(epoch: int) -> tuple[int, int]:
            found, end = follower.end_offset_for(epoch, len(follower_epochs))
            return int(found), int(end)

        local = LocalLog(len(follower_epochs), 0, follower.latest_epoch, own_end)
        assert await truncation_offset(local, ask_leader) == common


def test_the_watermark_is_the_slowest_isr_member_and_waits_for_unknown_ones() -> None:
    view = LeaderView.start(leader=1, leader_epoch=4, replicas=(1, 2, 3), isr=(1, 2, 3),
                            partition_epoch=0, log_end_offset=10, now_ms=0)
    assert view.high_watermark(leader_end=12) == -1  # followers not heard from this epoch
    view.follower_fetched(2, 12, leader_end=12, now_ms=5)
    view.follower_fetched(3, 11, leader_end=12, now_ms=5)
    assert view.high_watermark(leader_end=12) == 11
    view.committed(isr=(1, 2), partition_epoch=1)
    assert view.high_watermark(leader_end=12) == 12
    view.pending_isr = (1, 2, 3)  # an expansion in flight already counts
    assert view.high_watermark(leader_end=12) == 11


def test_laggards_leave_and_caught_up_followers_join() -> None:
    view = LeaderView.start(leader=1, leader_epoch=4, replicas=(1, 2, 3), isr=(1, 2),
                            partition_epoch=0, log_end_offset=10, now_ms=0)
    lag_max = 100
    view.follower_fetched(2, 10, leader_end=10, now_ms=50)  # caught up at 50
    view.follower_fetched(3, 9, leader_end=10, now_ms=50)   # behind, not in the ISR
    assert view.wanted_isr(high_watermark=10, now_ms=120, lag_time_max_ms=lag_max) == (1, 2)
    # 2 fetched all there was at 50 (its next fetch asked for that end), then fell behind
    # a growing log: it was last caught up at 50.
    view.follower_fetched(2, 10, leader_end=20, now_ms=60)
    view.follower_fetched(2, 15, leader_end=30, now_ms=140)
    assert view.wanted_isr(high_watermark=10, now_ms=150, lag_time_max_ms=lag_max) == (1, 2)
    assert view.wanted_isr(high_watermark=10, now_ms=151, lag_time_max_ms=lag_max) == (1,)
    # 3 reaches the watermark and the start of this epoch: it may join.
    view.follower_fetched(3, 10, leader_end=30, now_ms=151)
    assert view.wanted_isr(high_watermark=10, now_ms=151, lag_time_max_ms=lag_max) == (1, 3)
    assert view.wanted_isr(high_watermark=11, now_ms=151, lag_time_max_ms=lag_max) == (1,)


def _batches(count: int, first_offset: int) -> bytes:
    out = bytearray()
    offset = first_offset
    for i in range(count):
        batch = bytearray(make_batch([b"x"] * (i + 1), timestamp_ms=0))
        set_base_offset(batch, 0, offset)
        offset += i + 1
        out += batch
    return bytes(out)


@given(count=st.integers(1, 5), cut=st.integers(0, 400), log_end=st.integers(0, 20))
def test_followers_append_whole_batches_from_their_log_end(count: int, cut: int,
                                                          log_end: int) -> None:
    data = _batches(count, 0)
    part = replicated_part(data[:len(data) - cut], log_end)
    kept = [h.base_offset for _, h in iter_batches(part)]
    whole = [h.base_offset for _, h in iter_batches(data)
             if h.base_offset >= log_end]
    assert kept == whole[:len(kept)]
    assert data.find(part) >= 0
