"""The producer's batch encoders against our BatchBuilder: the producer encodes uncompressed
batches with aiokafka's compiled builder (NativeBatchEncoder), so for any records and any
size limit it must accept the same records and build the same bytes as BatchBuilder."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal.errors import InvalidTimestamp
from kanal.records.builder import MAX_TIMESTAMP, BatchBuilder
from kanal.records.header import CODEC_GZIP, CODEC_NONE, HEADER_SIZE, validate_batch
from kanal.records.native_builder import (
    NO_HEADERS,
    NativeBatchEncoder,
    PythonBatchEncoder,
    RecordBatchEncoder,
    check_timestamp,
    header_list,
    new_batch_encoder,
)
from kanal.records.reader import decode_batch

Headers = list[tuple[str, bytes | None]]
Row = tuple[int, bytes | None, bytes | None, Headers]

rows_strategy = st.lists(
    st.tuples(
        st.integers(0, MAX_TIMESTAMP),
        st.none() | st.binary(max_size=40),
        st.none() | st.binary(max_size=300),
        st.lists(st.tuples(st.text(max_size=8), st.none() | st.binary(max_size=16)), max_size=3),
    ),
    min_size=1,
    max_size=40,
)


def fill(encoder: RecordBatchEncoder, rows: list[Row]) -> list[int | None]:
    """Append every row the way the producer does; the timestamps written (None: refused)."""
    count = 0
    written: list[int | None] = []
    for timestamp, key, value, headers in rows:
        appended = encoder.append_record(count, timestamp, key, value, headers)
        written.append(None if appended is None else appended.timestamp)
        count += appended is not None
    return written


@settings(max_examples=150)
@given(rows_strategy, st.integers(HEADER_SIZE, 4000))
def test_same_records_accepted_and_same_bytes_for_any_limit(rows: list[Row], limit: int) -> None:
    ours = BatchBuilder(max_bytes=limit)
    accepted = [None if ours.append(*row) is None else row[0] for row in rows]
    native = NativeBatchEncoder(limit)
    assert fill(native, rows) == accepted
    assert native.estimated_size == ours.estimated_size
    assert bytes(native.build()) == ours.build()


@settings(max_examples=50)
@given(rows_strategy, st.integers(HEADER_SIZE, 4000))
def test_both_encoders_behave_alike(rows: list[Row], limit: int) -> None:
    native, python = NativeBatchEncoder(limit), PythonBatchEncoder(BatchBuilder(max_bytes=limit))
    assert fill(native, rows) == fill(python, rows)
    assert bytes(native.build()) == python.build()


producer_states = st.tuples(
    st.integers(0, 2**63 - 1), st.integers(0, 2**15 - 1), st.integers(0, 2**31 - 1)
)


@settings(max_examples=100)
@given(rows_strategy, producer_states)
def test_producer_state_set_after_build_gives_the_same_bytes_as_before(
    rows: list[Row], state: tuple[int, int, int]
) -> None:
    # The producer builds a full batch at once; an idempotent one stamps it when it sends it.
    producer_id, epoch, sequence = state
    stamped_late, stamped_early = NativeBatchEncoder(1 << 30), NativeBatchEncoder(1 << 30)
    ours = BatchBuilder(max_bytes=1 << 30)
    for encoder in (stamped_late, stamped_early):
        fill(encoder, rows)
    for row in rows:
        ours.append(*row)
    first = stamped_late.build()
    stampable: tuple[NativeBatchEncoder | BatchBuilder, ...] = (stamped_late, stamped_early, ours)
    for stamped in stampable:
        stamped.set_producer_state(producer_id=producer_id, producer_epoch=epoch,
                                   base_sequence=sequence, transactional=False)
    late = stamped_late.build()
    assert late is first  # stamped in place: the bytes a sender already holds
    assert bytes(late) == bytes(stamped_early.build()) == ours.build()
    header = validate_batch(bytes(late))  # CRC checked
    assert (header.producer_id, header.producer_epoch, header.base_sequence) == state


def test_build_is_done_once() -> None:
    native = NativeBatchEncoder(1000)
    native.append_record(0, 5, None, b"x", NO_HEADERS)
    assert native.build() is native.build()


@given(rows_strategy)
def test_rows_come_back_as_appended(rows: list[Row]) -> None:
    native = NativeBatchEncoder(1 << 30)
    assert fill(native, rows) == [row[0] for row in rows]
    _, records = decode_batch(bytes(native.build()))
    assert [(r.timestamp, r.key, r.value, list(r.headers)) for r in records] == rows


@pytest.mark.parametrize("codec", [CODEC_NONE, CODEC_GZIP])
def test_without_a_timestamp_the_encoder_writes_the_time_now(codec: int) -> None:
    encoder = new_batch_encoder(codec, 1000)
    before = time.time_ns() // 1_000_000
    appended = encoder.append_record(0, None, None, b"v", NO_HEADERS)
    after = time.time_ns() // 1_000_000
    assert appended is not None and before <= appended.timestamp <= after
    _, records = decode_batch(bytes(encoder.build()))
    assert [r.timestamp for r in records] == [appended.timestamp]


def test_producer_state_lands_in_the_header_with_a_valid_crc() -> None:
    native = NativeBatchEncoder(1000)
    native.append_record(0, 5, None, b"x", NO_HEADERS)
    native.set_producer_state(
        producer_id=9, producer_epoch=2, base_sequence=40, transactional=False
    )
    header = validate_batch(bytes(native.build()))
    assert (header.producer_id, header.producer_epoch, header.base_sequence) == (9, 2, 40)
    assert (header.base_offset, header.partition_leader_epoch) == (0, -1)
    assert not header.is_transactional and header.codec == CODEC_NONE
    with pytest.raises(ValueError, match="non-transactional"):
        native.set_producer_state(
            producer_id=9, producer_epoch=2, base_sequence=40, transactional=True
        )


def test_header_tuples_and_bytes_like_values_become_what_aiokafka_takes() -> None:
    headers = (("a", bytearray(b"1")), ("b", memoryview(b"22")), ("c", None))
    assert header_list(headers) == [("a", b"1"), ("b", b"22"), ("c", None)]  # type: ignore[arg-type]
    ours, native = BatchBuilder(), NativeBatchEncoder(1000)
    ours.append(7, b"k", b"v", headers)  # type: ignore[arg-type]
    native.append_record(0, 7, b"k", b"v", header_list(headers))  # type: ignore[arg-type]
    assert bytes(native.build()) == ours.build()


def test_bad_input_is_refused_and_leaves_the_batch_unchanged() -> None:
    native = NativeBatchEncoder(1000)
    native.append_record(0, 1, b"k", b"v", NO_HEADERS)
    size = native.estimated_size
    with pytest.raises(TypeError):
        native.append_record(1, 2, "text", b"v", NO_HEADERS)
    with pytest.raises(TypeError):
        native.append_record(1, 2, None, b"v", [(b"name", b"v")])
    assert native.estimated_size == size
    assert native.append_record(1, 3, None, b"w", NO_HEADERS) is not None
    for timestamp in (-1, MAX_TIMESTAMP + 1):
        with pytest.raises(InvalidTimestamp):
            check_timestamp(timestamp)
    with pytest.raises(ValueError, match="offset delta"):
        PythonBatchEncoder(BatchBuilder()).append_record(3, 1, None, b"v", NO_HEADERS)


def test_the_first_record_is_always_taken() -> None:
    native = NativeBatchEncoder(HEADER_SIZE + 10)
    assert native.append_record(0, 1, None, b"a" * 100, NO_HEADERS) is not None
    assert native.append_record(1, 1, None, b"b", NO_HEADERS) is None
    assert native.max_bytes == HEADER_SIZE + 10


def test_the_encoder_is_native_only_without_compression() -> None:
    assert isinstance(new_batch_encoder(CODEC_NONE, 1000), NativeBatchEncoder)
    compressed = new_batch_encoder(CODEC_GZIP, 1000)
    assert isinstance(compressed, PythonBatchEncoder) and compressed.builder.codec == CODEC_GZIP
