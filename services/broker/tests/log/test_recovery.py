"""Reopening after a crash: the torn or corrupt tail goes, every whole batch before it stays;
missing or damaged indexes are rebuilt; a clean shutdown scans nothing."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from kanal_broker.log.checkpoint import PartitionCheckpoint
from kanal_broker.log.files import segment_file
from kanal_broker.log.testing import OpenLog, build_batch, decode

BATCH = build_batch([(b"key", b"value" * 10)])
SIZE = len(BATCH)


def _write(open_log: OpenLog, count: int, **overrides: object) -> list[int]:
    """Append `count` one-record batches, crash (no close); return their offsets."""
    log = open_log(**overrides)
    offsets: list[int] = [
        log.append_as_leader(BATCH, leader_epoch=0).first_offset for _ in range(count)
    ]
    log.abandon()
    return offsets


def _all_offsets(open_log: OpenLog, **overrides: object) -> list[int]:
    log = open_log(**overrides)
    offsets: list[int] = []
    offset = log.log_start_offset
    while offset < log.log_end_offset:
        result = log.read(offset, 1 << 20)
        offsets += [record_offset for record_offset, _, _ in decode(result.records)]
        offset = result.next_offset
    return offsets


def _damage(path: Path, change: Callable[[bytearray], bytearray]) -> None:
    path.write_bytes(bytes(change(bytearray(path.read_bytes()))))


def _flip(data: bytearray, position: int) -> bytearray:
    data[position] ^= 0xFF
    return data


DAMAGES: dict[str, tuple[Callable[[bytearray], bytearray], int]] = {
    # name: (change to the .log file, batches that survive out of 10)
    "cut mid-batch": (lambda data: data[: SIZE * 7 + SIZE // 2], 7),
    "cut mid-header": (lambda data: data[: SIZE * 9 + 20], 9),
    "cut after a length field": (lambda data: data[: SIZE * 9 + 12], 9),
    "zeros appended": (lambda data: data + bytes(100), 10),
    "garbage appended": (lambda data: data + os.urandom(300), 10),
    "crc of the last batch": (lambda data: _flip(data, SIZE * 10 - 3), 9),
    "crc of a middle batch": (lambda data: _flip(data, SIZE * 4 + 30), 4),
    "length of a middle batch": (lambda data: _flip(data, SIZE * 6 + 9), 6),
    "offset going backwards": (lambda data: data[: SIZE * 10] + data[:SIZE], 10),
}


@pytest.mark.parametrize("name", DAMAGES)
def test_damaged_tail_is_cut_at_the_first_bad_batch(
    open_log: OpenLog, log_dir: Path, name: str
) -> None:
    change, survivors = DAMAGES[name]
    offsets = _write(open_log, 10)
    _damage(segment_file(log_dir, 0, ".log"), change)
    log = open_log()
    assert log.recovery.segments_recovered == 1
    assert log.log_end_offset == survivors
    assert log.size_bytes == survivors * SIZE
    assert _all_offsets(open_log) == offsets[:survivors]
    # The log takes new appends right after the surviving batches.
    assert log.append_as_leader(BATCH, leader_epoch=0).first_offset == survivors


def test_clean_shutdown_scans_nothing_and_crash_scans_only_the_active_segment(
    open_log: OpenLog,
) -> None:
    log = open_log(segment_bytes=SIZE * 3)
    for _ in range(10):
        log.append_as_leader(BATCH, leader_epoch=0)
    log.close()
    reopened = open_log(segment_bytes=SIZE * 3)
    assert reopened.recovery.segments_recovered == 0
    assert reopened.log_end_offset == 10
    reopened.append_as_leader(BATCH, leader_epoch=0)
    reopened.abandon()
    crashed = open_log(segment_bytes=SIZE * 3)
    assert crashed.recovery.segments_recovered == 1
    assert crashed.log_end_offset == 11


def test_corruption_in_an_older_segment_drops_every_later_segment(
    open_log: OpenLog, log_dir: Path
) -> None:
    _write(open_log, 10, segment_bytes=SIZE * 3)
    PartitionCheckpoint(recovery_point=0).write(log_dir)  # nothing known to be flushed
    _damage(segment_file(log_dir, 3, ".log"), lambda data: _flip(data, SIZE + 30))
    log = open_log(segment_bytes=SIZE * 3)
    assert log.log_end_offset == 4
    assert log.segment_base_offsets == [0, 3]
    assert _all_offsets(open_log, segment_bytes=SIZE * 3) == [0, 1, 2, 3]


@pytest.mark.parametrize("suffix", [".index", ".timeindex"])
@pytest.mark.parametrize("clean", [True, False])
def test_missing_index_is_rebuilt(
    open_log: OpenLog, log_dir: Path, suffix: str, clean: bool
) -> None:
    log = open_log(segment_bytes=SIZE * 40, index_interval_bytes=SIZE)
    for timestamp in range(100):
        batch = build_batch([(b"key", b"value" * 10)], timestamp_ms=timestamp)
        log.append_as_leader(batch, leader_epoch=0)
    if clean:
        log.close()
    else:
        log.abandon()
    for base in (0, 40, 80):
        segment_file(log_dir, base, suffix).unlink()
    reopened = open_log(segment_bytes=SIZE * 40, index_interval_bytes=SIZE)
    assert reopened.recovery.segments_recovered == 3
    assert segment_file(log_dir, 40, suffix).stat().st_size > 0
    assert reopened.read(57, 1).first_offset == 57
    assert reopened.offset_for_timestamp(63) == (63, 63)


def test_torn_index_entry_after_a_clean_shutdown_is_rebuilt(
    open_log: OpenLog, log_dir: Path
) -> None:
    log = open_log(index_interval_bytes=0)
    for _ in range(20):
        log.append_as_leader(BATCH, leader_epoch=0)
    log.close()
    with segment_file(log_dir, 0, ".index").open("ab") as index:
        index.write(b"\x00\x00\x00")
    reopened = open_log(index_interval_bytes=0)
    assert reopened.recovery.segments_recovered == 1
    assert segment_file(log_dir, 0, ".index").stat().st_size % 8 == 0
    assert reopened.read(13, 1).first_offset == 13


def test_leftovers_are_removed_and_epochs_follow_the_truncated_log(
    open_log: OpenLog, log_dir: Path
) -> None:
    log = open_log()
    log.append_as_leader(BATCH, leader_epoch=1)
    log.append_as_leader(BATCH, leader_epoch=2)
    log.abandon()
    (log_dir / "recovery-point.tmp").write_text("half")
    (log_dir / "00000000000000000099.log.deleted").write_bytes(b"old")
    _damage(segment_file(log_dir, 0, ".log"), lambda data: data[: SIZE + 5])
    reopened = open_log()
    assert reopened.log_end_offset == 1
    assert reopened.latest_epoch == 1
    names = [path.name for path in log_dir.iterdir()]
    assert not [name for name in names if name.endswith((".tmp", ".deleted"))]


def test_index_of_whole_but_wrong_entries_is_rebuilt(open_log: OpenLog, log_dir: Path) -> None:
    log = open_log(index_interval_bytes=0)
    for _ in range(20):
        log.append_as_leader(BATCH, leader_epoch=0)
    log.close()
    index = segment_file(log_dir, 0, ".index")
    # Entry (relative offset 3, position of batch 7): whole, in range, and wrong.
    index.write_bytes(
        index.read_bytes()[:-8] + (3).to_bytes(4, "big") + (SIZE * 7).to_bytes(4, "big")
    )
    reopened = open_log(index_interval_bytes=0)
    assert reopened.recovery.segments_recovered == 1
    assert reopened.log_end_offset == 20
    assert reopened.read(13, 1).first_offset == 13
