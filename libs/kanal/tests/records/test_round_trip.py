"""Builder -> reader round trips, batch limits, and reading a fetch answer with iter_records."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal.errors import InvalidTimestamp, UnsupportedCompressionType
from kanal.records.builder import BatchBuilder
from kanal.records.header import (
    HEADER_SIZE,
    set_base_offset,
    set_log_append_time,
    validate_batch,
)
from kanal.records.reader import decode_batch, iter_records
from kanal.records.record import TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME, Record
from kanal.types import LeaderEpoch, Offset, TimestampMs

Row = tuple[int, bytes | None, bytes | None, tuple[tuple[str, bytes | None], ...]]

rows_strategy = st.lists(
    st.tuples(
        st.integers(0, 2**63 - 1),
        st.none() | st.binary(max_size=20_000),
        st.none() | st.binary(max_size=20_000),
        st.lists(
            st.tuples(st.text(max_size=10), st.none() | st.binary(max_size=50)), max_size=4
        ).map(tuple),
    ),
    min_size=1,
    max_size=20,
)


def build(rows: list[Row], **kwargs: int) -> bytes:
    builder = BatchBuilder(codec=kwargs.pop("codec", 0), max_bytes=1 << 30)
    for row in rows:
        builder.append(*row)
    return builder.build(**kwargs)


def batch_of(count: int, *, first: int = 0, timestamp: int = 1000, codec: int = 0) -> bytes:
    builder = BatchBuilder(codec=codec)
    for i in range(count):
        builder.append(timestamp + i, b"k%d" % (first + i), b"v%d" % (first + i))
    return builder.build(base_offset=first)


@settings(max_examples=60)
@given(
    rows_strategy,
    st.sampled_from([0, 1, 2, 3, 4]),
    st.integers(0, 2**62),
    st.integers(-1, 2**31 - 1),
)
def test_round_trip(rows: list[Row], codec: int, base_offset: int, epoch: int) -> None:
    batch = build(rows, codec=codec, base_offset=base_offset, partition_leader_epoch=epoch)
    header, records = decode_batch(batch)
    assert header.base_offset == base_offset
    assert header.records_count == len(rows) == header.last_offset_delta + 1
    assert header.max_timestamp == max(row[0] for row in rows)
    assert header.base_timestamp == rows[0][0]
    assert records == [
        Record(
            Offset(base_offset + i),
            TimestampMs(timestamp),
            key,
            value,
            headers,
            TIMESTAMP_CREATE_TIME,
            LeaderEpoch(epoch),
        )
        for i, (timestamp, key, value, headers) in enumerate(rows)
    ]


def test_producer_fields_and_flags_land_in_the_header() -> None:
    builder = BatchBuilder(
        codec=4, producer_id=77, producer_epoch=3, base_sequence=1000, transactional=True
    )
    builder.append(5, None, b"x")
    header = validate_batch(builder.build())
    assert (header.producer_id, header.producer_epoch, header.base_sequence) == (77, 3, 1000)
    assert header.is_transactional and not header.is_control and header.codec == 4


def test_producer_state_can_be_set_when_the_batch_is_sent() -> None:
    builder = BatchBuilder(codec=1, transactional=True)
    builder.append(5, None, b"x")
    builder.set_producer_state(
        producer_id=9, producer_epoch=2, base_sequence=40, transactional=False
    )
    header = validate_batch(builder.build())
    assert (header.producer_id, header.producer_epoch, header.base_sequence) == (9, 2, 40)
    assert not header.is_transactional and header.codec == 1


def test_max_bytes_refuses_a_record_that_does_not_fit_but_always_takes_the_first() -> None:
    builder = BatchBuilder(max_bytes=HEADER_SIZE + 300)
    assert builder.append(1, None, b"a" * 1000) == 0  # alone, larger than max_bytes
    assert builder.append(2, None, b"b") is None
    small = BatchBuilder(max_bytes=HEADER_SIZE + 300)
    deltas = [small.append(1, None, b"c" * 50) for _ in range(10)]
    accepted = [d for d in deltas if d is not None]
    assert accepted == list(range(len(accepted)))
    assert 0 < len(accepted) < 10 and all(d is None for d in deltas[len(accepted) :])
    batch = small.build()
    assert len(batch) == small.estimated_size <= HEADER_SIZE + 300
    assert small.record_count == len(decode_batch(batch)[1]) == len(accepted)


def test_a_record_of_the_wrong_type_leaves_the_batch_unchanged() -> None:
    builder = BatchBuilder()
    builder.append(1, b"k", b"v")
    before = builder.build()
    with pytest.raises(TypeError):
        builder.append(2, "text", b"v")  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        builder.append(2, None, b"v", [(b"name", b"v")])  # type: ignore[list-item]
    assert builder.build() == before


def test_invalid_timestamps_and_codecs_are_refused() -> None:
    with pytest.raises(InvalidTimestamp):
        BatchBuilder().append(-5, None, b"v")
    with pytest.raises(UnsupportedCompressionType):
        BatchBuilder(codec=5)
    with pytest.raises(ValueError, match="at least one record"):
        BatchBuilder().build()


def test_log_append_time_gives_every_record_the_batch_time() -> None:
    batch = bytearray(batch_of(3))
    set_log_append_time(batch, 0, 99_999)
    header, records = decode_batch(bytes(batch))
    assert header.is_log_append_time
    assert [(r.timestamp, r.timestamp_type) for r in records] == [
        (99_999, TIMESTAMP_LOG_APPEND_TIME)
    ] * 3


def test_broker_offset_rewrite_keeps_the_crc_valid() -> None:
    batch = bytearray(batch_of(3))
    set_base_offset(batch, 0, 500)
    assert [r.offset for r in decode_batch(batch)[1]] == [500, 501, 502]


@pytest.mark.parametrize("codec", [0, 1, 2, 3, 4])
def test_iter_records_skips_before_min_offset_and_drops_a_truncated_tail(codec: int) -> None:
    answer = b"".join(batch_of(5, first=first, codec=codec) for first in (0, 5, 10))
    assert [r.offset for r in iter_records(answer)] == list(range(15))
    assert [r.offset for r in iter_records(answer, min_offset=3)] == list(range(3, 15))
    assert [r.offset for r in iter_records(answer, min_offset=7)] == list(range(7, 15))
    for cut in range(1, len(batch_of(5, first=10, codec=codec))):
        offsets = [r.offset for r in iter_records(answer[:-cut], min_offset=3)]
        assert offsets == list(range(3, 10))
    assert list(iter_records(b"")) == []
    assert list(iter_records(memoryview(answer)[:50])) == []


@settings(max_examples=50)
@given(
    st.lists(st.integers(1, 6), min_size=1, max_size=5),
    st.sampled_from([0, 2, 4]),
    st.data(),
)
def test_iter_records_over_any_cut_of_any_fetch_answer(
    sizes: list[int], codec: int, data: st.DataObject
) -> None:
    batches, first = [], 0
    for size in sizes:
        batches.append(batch_of(size, first=first, codec=codec))
        first += size
    answer = b"".join(batches)
    cut = data.draw(st.integers(0, len(answer)))
    min_offset = data.draw(st.integers(0, first))
    whole, end = 0, 0
    for batch, size in zip(batches, sizes, strict=True):
        if end + len(batch) > cut:
            break
        end += len(batch)
        whole += size
    offsets = [r.offset for r in iter_records(answer[:cut], min_offset=min_offset)]
    assert offsets == list(range(min_offset, whole))


def test_iter_records_skips_control_batches() -> None:
    control = BatchBuilder(is_control=True, producer_id=1, producer_epoch=0)
    control.append(1, b"\x00\x00\x00\x00", b"\x00\x00\x00\x00\x00\x00")  # a commit marker
    answer = batch_of(2, first=0) + control.build(base_offset=2) + batch_of(2, first=3)
    assert [r.offset for r in iter_records(answer)] == [0, 1, 3, 4]
    assert decode_batch(answer, len(batch_of(2)))[0].is_control


def test_decode_batch_accepts_every_buffer_type_and_position() -> None:
    answer = batch_of(2, first=0) + batch_of(3, first=2)
    second = len(batch_of(2))
    for buf in (answer, bytearray(answer), memoryview(answer)):
        header, records = decode_batch(buf, second)
        assert header.base_offset == 2
        assert [r.key for r in records] == [b"k2", b"k3", b"k4"]
        assert all(type(r.key) is bytes and type(r.value) is bytes for r in records)
