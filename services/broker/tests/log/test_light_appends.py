"""Appends inside `Log.light_only()` (what the broker runs on its event loop): a page-cache
write goes through; one that would roll, fsync or write the epoch checkpoint raises
HeavyAppend having changed nothing, and done again outside ends exactly as if it had never
been tried (property-tested against a log that never tries)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kanal_broker.log import Log
from kanal_broker.log.log import HeavyAppend
from kanal_broker.log.testing import ManualClock, OpenLog, build_batch, decode, topic_config

BATCH = build_batch([(b"key", b"value" * 10)])


def state(log: Log) -> tuple[object, ...]:
    return (log.log_end_offset, log.size_bytes, log.segment_base_offsets, log.latest_epoch,
            decode(log.read(0, 1 << 20).records) if log.log_end_offset else [])


def test_a_plain_append_goes_through(open_log: OpenLog) -> None:
    log = open_log()
    log.append_as_leader(BATCH, leader_epoch=0)  # the epoch's first append: outside
    with log.light_only():
        info = log.append_as_leader(BATCH, leader_epoch=0)
    assert info.first_offset == 1
    assert log.log_end_offset == 2


@pytest.mark.parametrize("case", ["size", "time", "flush", "epoch"])
def test_heavy_appends_are_refused_untouched(open_log: OpenLog, clock: ManualClock,
                                             case: str) -> None:
    overrides = {"size": {"segment_bytes": len(BATCH) * 2}, "time": {"segment_ms": 1000},
                 "flush": {"flush_messages": 2}, "epoch": {}}[case]
    log = open_log(**overrides)
    log.append_as_leader(build_batch([(b"k", b"v")], timestamp_ms=clock.now_ms), leader_epoch=0)
    incoming = (build_batch([(b"k", b"v")], timestamp_ms=clock.now_ms + 5000)
                if case == "time" else BATCH)
    epoch = 1 if case == "epoch" else 0
    if case == "size":
        log.append_as_leader(BATCH, leader_epoch=0)
    before, end = state(log), log.log_end_offset
    with pytest.raises(HeavyAppend), log.light_only():
        log.append_as_leader(incoming, leader_epoch=epoch)
    assert state(log) == before
    log.append_as_leader(incoming, leader_epoch=epoch)
    assert log.log_end_offset == end + 1


def test_follower_appends_of_a_new_epoch_are_heavy(open_log: OpenLog, tmp_path: Path,
                                                   clock: ManualClock) -> None:
    leader = Log.open(tmp_path / "leader", topic_config(), now_ms=clock)
    try:
        leader.append_as_leader(BATCH, leader_epoch=3)
        leader.append_as_leader(BATCH, leader_epoch=3)
        first = leader.read(0, 1 << 20, max_offset=1).records
        second = leader.read(1, 1 << 20).records
    finally:
        leader.abandon()
    follower = open_log()
    with pytest.raises(HeavyAppend), follower.light_only():
        follower.append_as_follower(first)
    assert follower.log_end_offset == 0
    follower.append_as_follower(first)
    with follower.light_only():
        follower.append_as_follower(second)
    assert follower.log_end_offset == 2


APPEND = st.tuples(st.integers(0, 2),                      # leader epoch (only grows)
                   st.integers(1, 4),                      # records in the batch
                   st.integers(0, 3000))                   # ms the clock moves first


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(appends=st.lists(APPEND, min_size=1, max_size=25),
       segment_batches=st.integers(2, 6), flush_messages=st.integers(1, 8))
def test_trying_light_first_ends_like_never_trying(tmp_path_factory: pytest.TempPathFactory,
                                                   appends: list[tuple[int, int, int]],
                                                   segment_batches: int,
                                                   flush_messages: int) -> None:
    config = topic_config(segment_bytes=len(BATCH) * segment_batches, segment_ms=2000,
                          flush_messages=flush_messages)
    root = tmp_path_factory.mktemp("light")
    clocks = ManualClock(), ManualClock()
    tried, plain = (Log.open(root / name, config, now_ms=clock)
                    for name, clock in zip(("tried", "plain"), clocks, strict=True))
    try:
        epoch = 0
        for epoch_step, count, elapsed in appends:
            epoch += epoch_step
            for clock in clocks:
                clock.advance(elapsed)
            batch = build_batch([(b"k", b"v" * 20)] * count, timestamp_ms=clocks[0].now_ms)
            try:
                with tried.light_only():
                    tried.append_as_leader(batch, leader_epoch=epoch)
            except HeavyAppend:
                tried.append_as_leader(batch, leader_epoch=epoch)
            plain.append_as_leader(batch, leader_epoch=epoch)
            assert state(tried) == state(plain)
    finally:
        tried.abandon()
        plain.abandon()
