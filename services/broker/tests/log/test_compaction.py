"""Compaction: the latest record per key survives with its offset; tombstones live for
delete.retention.ms; the swap of cleaned segments is crash-safe."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from kanal.records.header import CODEC_GZIP, CODEC_NONE, CODEC_ZSTD, iter_batches
from kanal_broker.log import Log
from kanal_broker.log.files import segment_file
from kanal_broker.log.testing import ManualClock, OpenLog, build_batch, decode, topic_config

DAY = 24 * 3600 * 1000
Row = tuple[int, bytes | None, bytes | None]


def _read_all(log: Log) -> list[Row]:
    rows: list[Row] = []
    offset = log.log_start_offset
    while offset < log.log_end_offset:
        result = log.read(offset, 1 << 20)
        if not result.records:
            break
        rows += decode(result.records, min_offset=offset)
        offset = result.next_offset
    return rows


def _compacted_log(open_log: OpenLog, clock: ManualClock, **overrides: object) -> Log:
    """A key written once, then keys a..d in rounds of two-record batches, over several
    segments."""
    settings: dict[str, object] = {"cleanup_policy": "compact", "segment_bytes": 300}
    settings.update(overrides)
    log = open_log(**settings)
    log.append_as_leader(build_batch([(b"first", b"kept"), (b"a", b"old")]), leader_epoch=0)
    for round_ in range(6):
        for key in (b"a", b"b", b"c", b"d"):
            value = b"%s%d" % (key, round_)
            log.append_as_leader(
                build_batch([(key, value), (None, b"keyless")], timestamp_ms=clock.now_ms),
                leader_epoch=0,
            )
    log.high_watermark = log.log_end_offset
    return log


def _expected_after_compaction(before: list[Row], active_base: int) -> list[Row]:
    latest = {key: offset for offset, key, _ in before if offset < active_base and key}
    return [
        row
        for row in before
        if row[0] >= active_base or (row[1] is not None and latest[row[1]] == row[0])
    ]


@pytest.mark.parametrize("codec", [CODEC_NONE, CODEC_GZIP, CODEC_ZSTD])
def test_latest_record_per_key_keeps_its_offset(
    open_log: OpenLog, clock: ManualClock, codec: int
) -> None:
    log = open_log(cleanup_policy="compact", segment_bytes=400)
    for round_ in range(5):
        records: list[tuple[bytes | None, bytes | None]] = [
            (b"k%d" % key, b"v%d-%d" % (key, round_)) for key in range(3)
        ]
        records.append((None, b"no key"))
        log.append_as_leader(build_batch(records, codec=codec), leader_epoch=7)
    log.high_watermark = log.log_end_offset
    before = _read_all(log)
    active_base = log.segment_base_offsets[-1]
    stats = log.compact()
    after = _read_all(log)
    assert after == _expected_after_compaction(before, active_base)
    assert stats.records_removed > 0
    assert stats.bytes_after < stats.bytes_before
    closed = log.read(0, 1 << 20).records
    for _, header in iter_batches(closed):
        assert header.codec == codec
        assert header.partition_leader_epoch == 7
    assert log.compact().segments_cleaned == 0  # nothing dirty since: no pass
    log.close()
    reopened = open_log(cleanup_policy="compact", segment_bytes=400)
    assert reopened.recovery.segments_recovered == 0  # the rebuilt indexes are trusted
    assert _read_all(reopened) == after


def test_tombstones_stay_for_delete_retention_then_go(
    open_log: OpenLog, clock: ManualClock
) -> None:
    log = open_log(cleanup_policy="compact", segment_bytes=200, delete_retention_ms=DAY)
    now = clock.now_ms
    first = build_batch([(b"a", b"1"), (b"b", b"1")], timestamp_ms=now)
    log.append_as_leader(first, leader_epoch=0)
    log.append_as_leader(build_batch([(b"a", None)], timestamp_ms=now), leader_epoch=0)
    log.roll()
    log.append_as_leader(build_batch([(b"c", b"1")], timestamp_ms=now), leader_epoch=0)
    log.high_watermark = log.log_end_offset
    log.compact()
    assert _read_all(log) == [(1, b"b", b"1"), (2, b"a", None), (3, b"c", b"1")]
    clock.advance(DAY + 1)
    stats = log.compact()
    assert stats.tombstones_removed == 1
    assert _read_all(log) == [(1, b"b", b"1"), (3, b"c", b"1")]


def test_only_closed_segments_below_the_high_watermark_are_cleaned(
    open_log: OpenLog, clock: ManualClock
) -> None:
    log = _compacted_log(open_log, clock)
    bases = log.segment_base_offsets
    assert len(bases) >= 4
    log.high_watermark = bases[2]
    before = _read_all(log)
    log.compact()
    after = _read_all(log)
    assert [row for row in after if row[0] >= bases[2]] == [
        row for row in before if row[0] >= bases[2]
    ]
    assert len([row for row in after if row[0] < bases[2]]) <= 5  # one per key


def test_min_compaction_lag_protects_young_segments(open_log: OpenLog, clock: ManualClock) -> None:
    log = _compacted_log(open_log, clock, min_compaction_lag_ms=DAY)
    before = _read_all(log)
    assert log.compact().segments_cleaned == 0
    assert _read_all(log) == before
    clock.advance(DAY + 1)
    assert log.compact().segments_cleaned > 0


def test_compaction_merges_small_segments(open_log: OpenLog, clock: ManualClock) -> None:
    log = _compacted_log(open_log, clock, min_cleanable_dirty_ratio=0)
    log.compact()
    count = len(log.segment_base_offsets)
    # New dirty data starts a pass, which also merges the clean, now smaller, segments.
    log.append_as_leader(build_batch([(b"x", b"1"), (b"y", b"1")]), leader_epoch=0)
    log.roll()
    log.high_watermark = log.log_end_offset
    expected = _expected_after_compaction(_read_all(log), log.segment_base_offsets[-1])
    assert log.compact().segments_cleaned > 1
    assert len(log.segment_base_offsets) < count
    assert _read_all(log) == expected
    assert log.segment_base_offsets[0] == 0


def test_a_pass_waits_for_enough_dirty_data(open_log: OpenLog, clock: ManualClock) -> None:
    log = _compacted_log(open_log, clock, min_cleanable_dirty_ratio=0.9)
    assert log.compact().segments_cleaned > 0
    log.append_as_leader(build_batch([(b"a", b"newest")]), leader_epoch=0)
    log.roll()
    log.high_watermark = log.log_end_offset
    before = _read_all(log)
    assert log.compact().segments_cleaned == 0  # a small dirty share: not yet
    assert _read_all(log) == before
    log.update_config(
        topic_config(cleanup_policy="compact", segment_bytes=300, min_cleanable_dirty_ratio=0.1)
    )
    assert log.compact().segments_cleaned > 0
    assert (0, b"first", b"kept") in _read_all(log)
    assert len([row for row in _read_all(log) if row[1] == b"a"]) == 1


def _snapshot(source: Path, target: Path) -> None:
    shutil.copytree(source, target)
    (target / "clean-shutdown").unlink(missing_ok=True)  # a crash, not a clean stop


@pytest.mark.parametrize("state", ["cleaned written", "swap committed", "old segment gone"])
def test_crash_during_the_swap_recovers_a_consistent_log(
    open_log: OpenLog, clock: ManualClock, log_dir: Path, tmp_path: Path, state: str
) -> None:
    log = _compacted_log(open_log, clock)
    before = _read_all(log)
    old_bases = log.segment_base_offsets
    log.close()
    _snapshot(log_dir, tmp_path / "before")
    log = open_log(cleanup_policy="compact", segment_bytes=300)
    log.compact()
    after = _read_all(log)
    log.close()
    assert after != before
    cleaned = segment_file(log_dir, 0, ".log").read_bytes()
    # The swap replaces the old segments starting inside its offset range; the rest stay.
    cleaned_end = max(header.next_offset for _, header in iter_batches(cleaned))
    kept_from = min(base for base in old_bases if base >= cleaned_end)
    swapped = decode(cleaned) + [row for row in before if row[0] >= kept_from]
    crashed = tmp_path / "crashed"
    _snapshot(tmp_path / "before", crashed)
    if state == "cleaned written":
        (crashed / "00000000000000000000.log.cleaned").write_bytes(cleaned)
        expected = before
    else:
        (crashed / "00000000000000000000.log.swap").write_bytes(cleaned)
        expected = swapped
        if state == "old segment gone":
            segment_file(crashed, 0, ".log").unlink()
            segment_file(crashed, 0, ".index").unlink()
    reopened = Log.open(crashed, log.config, now_ms=clock)
    try:
        assert _read_all(reopened) == expected
        names = [path.name for path in crashed.iterdir()]
        assert not [name for name in names if name.endswith((".cleaned", ".swap"))]
    finally:
        reopened.abandon()


def test_compact_is_a_no_op_for_delete_topics(open_log: OpenLog, clock: ManualClock) -> None:
    log = _compacted_log(open_log, clock, cleanup_policy="delete")
    before = _read_all(log)
    assert log.compact().segments_cleaned == 0
    assert _read_all(log) == before


def test_a_bounded_key_map_cleans_in_several_passes_to_the_same_log(
    open_log: OpenLog, clock: ManualClock
) -> None:
    # Forty keys over many small segments; a map of eight keys covers a few segments a pass.
    # A low dirty ratio lets every pass run; a pass whose segments lose nothing cleans none.
    log = open_log(cleanup_policy="compact", segment_bytes=250, min_cleanable_dirty_ratio=0.01)
    for round_ in range(4):
        for key in range(40):
            log.append_as_leader(
                build_batch([(b"k%d" % key, b"v%d" % round_)], timestamp_ms=clock.now_ms),
                leader_epoch=0,
            )
    log.high_watermark = log.log_end_offset
    before = _read_all(log)
    expected = _expected_after_compaction(before, log.segment_base_offsets[-1])
    passes = [log.compact(max_keys=8) for _ in range(60)]
    mapping = [stats for stats in passes if stats.keys_mapped]
    assert len(mapping) > 1
    # Only the first dirty segment may overflow the bound: these segments hold fewer than 8.
    assert all(stats.keys_mapped <= 8 for stats in passes)
    assert _read_all(log) == expected


def test_a_pass_after_a_bounded_one_keeps_keys_that_live_only_in_the_clean_section(
    open_log: OpenLog, clock: ManualClock
) -> None:
    log = _compacted_log(open_log, clock, min_cleanable_dirty_ratio=0.01)
    before = _read_all(log)
    expected = _expected_after_compaction(before, log.segment_base_offsets[-1])
    for _ in range(60):
        log.compact(max_keys=2)
    assert _read_all(log) == expected
    assert (0, b"first", b"kept") in _read_all(log)
