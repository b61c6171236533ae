"""Log.append_as_leader / append_as_follower / read: offsets, limits, and refused input."""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal.errors import (
    CorruptRecord,
    InvalidRecord,
    KanalError,
    MessageTooLarge,
    OffsetOutOfRange,
    RecordListTooLarge,
)
from kanal.records.builder import BatchBuilder
from kanal.records.header import iter_batches, parse_header
from kanal_broker.log import Log
from kanal_broker.log.testing import ManualClock, OpenLog, build_batch, decode, topic_config

ONE = [(b"k", b"v")]


def test_offsets_are_assigned_consecutively_with_the_leader_epoch(open_log: OpenLog) -> None:
    log = open_log()
    first = log.append_as_leader(build_batch([(b"a", b"1"), (b"b", b"2")]), leader_epoch=3)
    second = log.append_as_leader(
        build_batch([(b"c", b"3")]) + build_batch([(b"d", b"4")]), leader_epoch=3
    )
    assert (first.first_offset, first.last_offset, first.record_count) == (0, 1, 2)
    assert (second.first_offset, second.last_offset, second.record_count) == (2, 3, 2)
    assert log.log_end_offset == 4
    data = log.read(0, 1 << 20).records
    assert decode(data) == [(0, b"a", b"1"), (1, b"b", b"2"), (2, b"c", b"3"), (3, b"d", b"4")]
    assert {header.partition_leader_epoch for _, header in iter_batches(data)} == {3}
    assert log.latest_epoch == 3
    assert log.leader_epoch_start_offset(3) == 0


def test_log_append_time_restamps_batches(open_log: OpenLog, clock: ManualClock) -> None:
    log = open_log(message_timestamp_type="LogAppendTime")
    info = log.append_as_leader(build_batch(ONE, timestamp_ms=5), leader_epoch=0)
    assert info.log_append_time_ms == clock.now_ms == info.max_timestamp
    header = parse_header(log.read(0, 1000).records)
    assert header.is_log_append_time
    assert header.max_timestamp == clock.now_ms
    list(iter_batches(log.read(0, 1000).records))  # the CRC was recomputed


def test_read_limits(open_log: OpenLog) -> None:
    log = open_log()
    sizes = [len(build_batch(ONE))] * 5
    for _ in range(5):
        log.append_as_leader(build_batch(ONE), leader_epoch=0)
    two = log.read(0, sizes[0] * 2 + 5)
    assert (two.first_offset, two.next_offset) == (0, 2)
    assert len(two.records) == sizes[0] * 2
    at_least_one = log.read(3, 1)
    assert (at_least_one.first_offset, at_least_one.next_offset) == (3, 4)
    assert log.read(3, 1, min_one_batch=False).records == b""
    below_watermark = log.read(1, 1 << 20, max_offset=3)
    assert below_watermark.next_offset == 3
    assert log.read(3, 1 << 20, max_offset=3).records == b""
    end = log.read(5, 1 << 20)
    assert (end.records, end.first_offset, end.next_offset) == (b"", 5, 5)
    with pytest.raises(OffsetOutOfRange):
        log.read(6, 100)
    with pytest.raises(OffsetOutOfRange):
        log.read(-1, 100)


def test_read_from_inside_a_batch_returns_the_whole_batch(open_log: OpenLog) -> None:
    log = open_log()
    log.append_as_leader(build_batch([(b"a", b"1"), (b"b", b"2"), (b"c", b"3")]), leader_epoch=0)
    result = log.read(1, 1 << 20)
    assert result.first_offset == 0
    assert decode(result.records, min_offset=1) == [(1, b"b", b"2"), (2, b"c", b"3")]


def test_reads_span_segments_one_segment_at_a_time(open_log: OpenLog) -> None:
    batch = build_batch(ONE)
    log = open_log(segment_bytes=len(batch) * 3)
    for _ in range(10):
        log.append_as_leader(batch, leader_epoch=0)
    assert log.segment_base_offsets == [0, 3, 6, 9]
    offset = 0
    seen = []
    while offset < log.log_end_offset:
        result = log.read(offset, 1 << 20)
        seen += decode(result.records)
        offset = result.next_offset
    assert [offset for offset, _, _ in seen] == list(range(10))


def _flip_bit(batch: bytes, position: int) -> bytes:
    data = bytearray(batch)
    data[position] ^= 0x01
    return bytes(data)


def _with_magic(batch: bytes, magic: int) -> bytes:
    data = bytearray(batch)
    struct.pack_into(">b", data, 16, magic)
    return bytes(data)


GOOD = build_batch([(b"key", b"value" * 20)])
BAD_INPUTS: list[tuple[str, bytes, type[KanalError]]] = [
    ("empty", b"", CorruptRecord),
    ("truncated", GOOD[:-3], CorruptRecord),
    ("truncated header", GOOD[:30], CorruptRecord),
    ("bit flip in records", _flip_bit(GOOD, len(GOOD) - 2), CorruptRecord),
    ("bit flip in attributes", _flip_bit(GOOD, 22), CorruptRecord),
    ("wrong magic", _with_magic(GOOD, 1), CorruptRecord),
    ("good then garbage", GOOD + b"\x00" * 20, CorruptRecord),
    ("good then torn", GOOD + GOOD[:40], CorruptRecord),
    ("oversize", build_batch([(b"k", b"x" * 3000)]), MessageTooLarge),
]


@pytest.mark.parametrize(("name", "data", "error"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_refused_and_changes_nothing(
    open_log: OpenLog, name: str, data: bytes, error: type[KanalError]
) -> None:
    log = open_log(max_message_bytes=2000)
    log.append_as_leader(GOOD, leader_epoch=0)
    before = (log.log_end_offset, log.size_bytes, log.read(0, 1 << 20).records)
    with pytest.raises(error):
        log.append_as_leader(GOOD + data if name == "oversize" else data, leader_epoch=1)
    assert (log.log_end_offset, log.size_bytes, log.read(0, 1 << 20).records) == before
    assert log.latest_epoch == 0


def test_a_request_larger_than_a_segment_is_refused(open_log: OpenLog) -> None:
    log = open_log(segment_bytes=len(GOOD) * 2)
    with pytest.raises(RecordListTooLarge):
        log.append_as_leader(GOOD * 3, leader_epoch=0)
    assert log.log_end_offset == 0


def test_follower_append_keeps_offsets_and_epochs(
    open_log: OpenLog, tmp_path_factory: pytest.TempPathFactory
) -> None:
    leader = open_log()
    leader.append_as_leader(build_batch([(b"a", b"1"), (b"b", b"2")]), leader_epoch=1)
    leader.append_as_leader(build_batch([(b"c", b"3")]), leader_epoch=4)
    replicated = leader.read(0, 1 << 20).records
    follower = Log.open(tmp_path_factory.mktemp("follower"), leader.config, now_ms=lambda: 0)
    info = follower.append_as_follower(replicated)
    assert (info.first_offset, info.last_offset) == (0, 2)
    assert follower.read(0, 1 << 20).records == replicated
    assert follower.end_offset_for_epoch(1) == (1, 2)
    assert follower.end_offset_for_epoch(4) == (4, 3)
    with pytest.raises(InvalidRecord):
        follower.append_as_follower(replicated)  # offsets behind the log end
    follower.abandon()


def test_high_watermark_is_clamped(open_log: OpenLog) -> None:
    log = open_log()
    log.append_as_leader(build_batch(ONE * 3), leader_epoch=0)
    log.high_watermark = 10
    assert log.high_watermark == 3
    log.high_watermark = -5
    assert log.high_watermark == 0


def test_offset_for_timestamp(open_log: OpenLog) -> None:
    log = open_log(segment_bytes=len(GOOD) * 2, index_interval_bytes=0)
    for timestamp in (100, 200, 150, 300, 400):
        batch = build_batch([(b"k", b"value" * 20)], timestamp_ms=timestamp)
        log.append_as_leader(batch, leader_epoch=0)
    assert log.offset_for_timestamp(50) == (0, 100)
    assert log.offset_for_timestamp(100) == (0, 100)
    assert log.offset_for_timestamp(101) == (1, 200)
    assert log.offset_for_timestamp(160) == (1, 200)
    assert log.offset_for_timestamp(250) == (3, 300)
    assert log.offset_for_timestamp(401) is None
    assert log.offset_of_max_timestamp() == (4, 400)



def test_offset_for_timestamp_finds_the_record_inside_a_batch(open_log: OpenLog) -> None:
    # Kafka answers with the first *record* at or after the time, not its batch's base offset.
    log = open_log()
    builder = BatchBuilder(max_bytes=1 << 20)
    for timestamp in (100, 300, 200, 400):
        builder.append(timestamp, b"k", b"v")
    log.append_as_leader(builder.build(), leader_epoch=0)
    assert log.offset_for_timestamp(100) == (0, 100)
    assert log.offset_for_timestamp(150) == (1, 300)
    assert log.offset_for_timestamp(350) == (3, 400)
    assert log.offset_for_timestamp(401) is None

@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_any_damage_to_a_request_is_refused_or_harmless(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as directory:
        log = Log.open(Path(directory), topic_config(max_message_bytes=2000), now_ms=lambda: 0)
        log.append_as_leader(GOOD, leader_epoch=0)
        request = bytearray(GOOD * 2)
        for _ in range(data.draw(st.integers(1, 3))):
            position = data.draw(st.integers(0, len(request) - 1))
            request[position] = data.draw(st.integers(0, 255))
        request = request[: data.draw(st.integers(0, len(request)))]
        request += data.draw(st.binary(max_size=20))
        before = (log.log_end_offset, log.size_bytes, log.read(0, 1 << 20).records)
        try:
            info = log.append_as_leader(bytes(request), leader_epoch=0)
        except KanalError:
            assert (log.log_end_offset, log.size_bytes, log.read(0, 1 << 20).records) == before
        else:  # the damage missed every checked byte (base offset, epoch): a valid request
            assert info.first_offset == before[0]
            assert log.size_bytes == before[1] + len(request)
        log.abandon()


def test_reading_an_offset_removed_by_compaction_returns_the_next_batch(
    open_log: OpenLog,
) -> None:
    log = open_log(cleanup_policy="compact")
    log.append_as_leader(build_batch([(b"a", b"1"), (b"b", b"1"), (b"a", b"2")]), leader_epoch=0)
    log.roll()
    log.append_as_leader(build_batch(ONE), leader_epoch=0)
    log.high_watermark = log.log_end_offset
    log.compact()
    result = log.read(0, 1 << 20)
    assert decode(result.records) == [(1, b"b", b"1"), (2, b"a", b"2")]
    assert result.first_offset == 1
    assert log.read(0, 1 << 20, max_offset=1).records == b""


def test_timestamp_lookups_survive_a_clean_restart(open_log: OpenLog) -> None:
    log = open_log(segment_bytes=len(GOOD) * 3, index_interval_bytes=0)
    for timestamp in (10, 30, 20, 40, 50, 60, 55):
        log.append_as_leader(
            build_batch([(b"key", b"value" * 20)], timestamp_ms=timestamp), leader_epoch=0
        )
    log.close()
    reopened = open_log(segment_bytes=len(GOOD) * 3, index_interval_bytes=0)
    assert reopened.recovery.segments_recovered == 0
    assert reopened.offset_for_timestamp(25) == (1, 30)
    assert reopened.offset_for_timestamp(41) == (4, 50)
    assert reopened.offset_for_timestamp(56) == (5, 60)
    assert reopened.offset_of_max_timestamp() == (5, 60)
