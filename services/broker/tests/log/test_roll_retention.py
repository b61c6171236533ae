"""Rolling by size, time and full index; retention by time, size and log start; truncation."""

from __future__ import annotations

from pathlib import Path

from kanal_broker.log.testing import ManualClock, OpenLog, build_batch, decode

DAY = 24 * 3600 * 1000
BATCH = build_batch([(b"key", b"value" * 10)])
SIZE = len(BATCH)


def test_roll_by_size(open_log: OpenLog) -> None:
    log = open_log(segment_bytes=SIZE * 4)
    for _ in range(10):
        log.append_as_leader(BATCH, leader_epoch=0)
    assert log.segment_base_offsets == [0, 4, 8]
    assert log.size_bytes == SIZE * 10


def test_roll_by_time_on_append_and_periodically(open_log: OpenLog, clock: ManualClock) -> None:
    log = open_log(segment_ms=1000)
    log.append_as_leader(build_batch([(b"k", b"v")], timestamp_ms=clock.now_ms), leader_epoch=0)
    log.append_as_leader(
        build_batch([(b"k", b"v")], timestamp_ms=clock.now_ms + 500), leader_epoch=0
    )
    assert log.segment_base_offsets == [0]
    log.append_as_leader(
        build_batch([(b"k", b"v")], timestamp_ms=clock.now_ms + 1001), leader_epoch=0
    )
    assert log.segment_base_offsets == [0, 2]
    log.maybe_roll()
    assert log.segment_base_offsets == [0, 2]
    clock.advance(1001)
    log.maybe_roll()
    assert log.segment_base_offsets == [0, 2, 3]
    log.maybe_roll()  # the new active segment is empty: no roll
    assert log.segment_base_offsets == [0, 2, 3]


def test_old_producer_timestamps_do_not_roll_every_batch(open_log: OpenLog) -> None:
    log = open_log(segment_ms=1000)
    for _ in range(5):
        log.append_as_leader(build_batch([(b"k", b"v")], timestamp_ms=0), leader_epoch=0)
    assert log.segment_base_offsets == [0]


def test_roll_when_the_index_is_full(open_log: OpenLog) -> None:
    log = open_log(index_interval_bytes=0, segment_index_bytes=4096)
    for _ in range(600):
        log.append_as_leader(BATCH, leader_epoch=0)
    # 4096 bytes hold 512 offset-index entries (the time index gets one: timestamps do not
    # grow); the first batch of a segment needs no entry.
    assert log.segment_base_offsets == [0, 513]


def test_explicit_roll_and_reads_across(open_log: OpenLog) -> None:
    log = open_log()
    log.append_as_leader(BATCH, leader_epoch=0)
    log.roll()
    log.roll()
    log.append_as_leader(BATCH, leader_epoch=0)
    assert log.segment_base_offsets == [0, 1]
    assert [offset for offset, _, _ in decode(log.read(1, 1000).records)] == [1]


def test_retention_by_time_stops_at_the_high_watermark(
    open_log: OpenLog, clock: ManualClock
) -> None:
    log = open_log(segment_bytes=SIZE * 2, retention_ms=DAY)
    for day in range(5):
        batch = build_batch([(b"k", b"value" * 10)], timestamp_ms=clock.now_ms + day * DAY)
        log.append_as_leader(batch, leader_epoch=0)
        log.append_as_leader(batch, leader_epoch=0)
    assert log.segment_base_offsets == [0, 2, 4, 6, 8]
    clock.advance(3 * DAY + 1)
    log.high_watermark = 4
    assert log.apply_retention() == 2
    assert log.log_start_offset == 4
    log.high_watermark = 10
    assert log.apply_retention() == 1  # day 2 is only a day old
    assert log.segment_base_offsets == [6, 8]
    assert log.log_start_offset == 6
    clock.advance(10 * DAY)
    assert log.apply_retention() == 1  # never the active segment
    assert log.segment_base_offsets == [8]


def test_retention_by_size(open_log: OpenLog, log_dir: Path) -> None:
    log = open_log(segment_bytes=SIZE * 2, retention_bytes=SIZE * 5)
    for _ in range(10):
        log.append_as_leader(BATCH, leader_epoch=0)
    log.high_watermark = log.log_end_offset
    assert log.apply_retention() == 2
    assert log.size_bytes == SIZE * 6  # dropping one more would go below 5 batches
    assert log.log_start_offset == 4
    assert not list(log_dir.glob("00000000000000000000.*"))
    log.close()
    reopened = open_log(segment_bytes=SIZE * 2, retention_bytes=SIZE * 5)
    assert reopened.log_start_offset == 4
    assert reopened.high_watermark == 10


def test_retention_does_nothing_for_compacted_topics(open_log: OpenLog, clock: ManualClock) -> None:
    log = open_log(segment_bytes=SIZE, retention_ms=1, cleanup_policy="compact")
    for _ in range(3):
        log.append_as_leader(BATCH, leader_epoch=0)
    log.high_watermark = 3
    clock.advance(DAY)
    assert log.apply_retention() == 0


def test_truncate_to_drops_the_tail_and_later_segments(open_log: OpenLog) -> None:
    log = open_log(segment_bytes=SIZE * 3)
    for epoch in range(10):
        log.append_as_leader(BATCH, leader_epoch=epoch)
    log.high_watermark = 10
    log.truncate_to(5)
    assert log.log_end_offset == 5
    assert log.segment_base_offsets == [0, 3]
    assert log.high_watermark == 5
    assert log.latest_epoch == 4
    assert log.append_as_leader(BATCH, leader_epoch=11).first_offset == 5
    log.truncate_to(3)
    assert log.segment_base_offsets == [0, 3]
    assert log.log_end_offset == 3
    log.close()
    assert open_log(segment_bytes=SIZE * 3).log_end_offset == 3


def test_truncate_fully_and_start_at(open_log: OpenLog) -> None:
    log = open_log(segment_bytes=SIZE * 3)
    for _ in range(7):
        log.append_as_leader(BATCH, leader_epoch=2)
    log.truncate_fully_and_start_at(100)
    assert (log.log_start_offset, log.log_end_offset, log.high_watermark) == (100, 100, 100)
    assert log.segment_base_offsets == [100]
    assert log.latest_epoch == -1
    assert log.append_as_leader(BATCH, leader_epoch=3).first_offset == 100
    log.close()
    reopened = open_log(segment_bytes=SIZE * 3)
    assert (reopened.log_start_offset, reopened.log_end_offset) == (100, 101)


def test_flush_messages_moves_the_recovery_point(open_log: OpenLog, log_dir: Path) -> None:
    log = open_log(flush_messages=3)
    for _ in range(7):
        log.append_as_leader(BATCH, leader_epoch=0)
    assert "recovery_point 6" in (log_dir / "recovery-point").read_text()


def test_delete_removes_the_directory(open_log: OpenLog, log_dir: Path) -> None:
    log = open_log()
    log.append_as_leader(BATCH, leader_epoch=0)
    log.delete()
    assert not log_dir.exists()
