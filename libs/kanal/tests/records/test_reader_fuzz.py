"""Malformed batches: whatever the bytes, the reader raises CorruptRecord or decodes.

Mutated batches are re-signed (CRC recomputed) where the point is to reach the record parser
behind the CRC check.
"""

from __future__ import annotations

import contextlib
import struct

import crc32c
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal.errors import CorruptRecord
from kanal.records.builder import BatchBuilder
from kanal.records.header import CRC_START, HEADER_SIZE, validate_batch
from kanal.records.reader import decode_batch, iter_records
from kanal.records.varint import encode_varint


def sample_batch(codec: int = 0) -> bytes:
    builder = BatchBuilder(codec=codec)
    builder.append(1_000, b"key", b"value", [("h", b"1"), ("n", None)])
    builder.append(1_001, None, b"v" * 300)
    builder.append(999, b"", None)
    builder.append(6_000, b"k" * 70, b"")  # two-byte timestamp delta and key length
    builder.append(10**12, None, None)  # a six-byte timestamp delta
    return builder.build(base_offset=40)


SAMPLE = sample_batch()


def resign(batch: bytes | bytearray) -> bytes:
    out = bytearray(batch)
    struct.pack_into(">I", out, 17, crc32c.crc32c(memoryview(out)[CRC_START:]))
    return bytes(out)


def with_records(records: bytes, *, count: int, last_offset_delta: int | None = None) -> bytes:
    """SAMPLE's header around hand-made record bytes, lengths and CRC fixed."""
    out = bytearray(SAMPLE[:HEADER_SIZE]) + records
    struct.pack_into(">i", out, 8, len(out) - 12)
    struct.pack_into(">i", out, 23, count - 1 if last_offset_delta is None else last_offset_delta)
    struct.pack_into(">i", out, 57, count)
    return resign(out)


def record(*parts: bytes) -> bytes:
    body = b"".join(parts)
    return encode_varint(len(body)) + body


def v(value: int) -> bytes:
    return encode_varint(value)


def decodes_or_is_corrupt(buf: bytes, *, check_crc: bool = True) -> None:
    with contextlib.suppress(CorruptRecord):
        decode_batch(buf, check_crc=check_crc, max_decompressed=1 << 20)
    with contextlib.suppress(CorruptRecord):
        list(iter_records(buf, check_crc=check_crc, max_decompressed=1 << 20))


@pytest.mark.parametrize("codec", [0, 1, 2, 3, 4])
def test_every_truncation_is_corrupt(codec: int) -> None:
    batch = sample_batch(codec)
    for size in range(len(batch)):
        with pytest.raises(CorruptRecord):
            decode_batch(batch[:size])


@settings(max_examples=300)
@given(st.data())
def test_a_flipped_bit_under_the_crc_is_caught(data: st.DataObject) -> None:
    codec = data.draw(st.sampled_from([0, 1, 2, 3, 4]))
    batch = bytearray(sample_batch(codec))
    position = data.draw(st.integers(8, len(batch) - 1).filter(lambda p: not 12 <= p < 16))
    batch[position] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(CorruptRecord):
        decode_batch(bytes(batch))


def test_bits_outside_the_crc_are_the_fields_the_broker_rewrites() -> None:
    batch = bytearray(SAMPLE)
    batch[7] ^= 1  # base offset
    batch[15] ^= 1  # partition leader epoch
    header, records = decode_batch(bytes(batch))
    assert [r.offset for r in records] == [41, 42, 43, 44, 45]
    assert header.partition_leader_epoch == -2


@settings(max_examples=500)
@given(st.data())
def test_resigned_mutations_reach_the_parser_and_raise_only_corrupt_record(
    data: st.DataObject,
) -> None:
    codec = data.draw(st.sampled_from([0, 0, 0, 1, 2, 3, 4]))
    batch = bytearray(sample_batch(codec))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(CRC_START, len(batch) - 1))
        batch[position] = data.draw(st.integers(0, 255))
    decodes_or_is_corrupt(resign(batch))


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_corrupt_record(garbage: bytes) -> None:
    decodes_or_is_corrupt(garbage, check_crc=False)
    decodes_or_is_corrupt(SAMPLE[:HEADER_SIZE] + garbage, check_crc=False)


@given(st.integers(-(2**31), 2**31 - 1), st.integers(-(2**31), 2**31 - 1))
def test_any_declared_counts_raise_only_corrupt_record(count: int, last_delta: int) -> None:
    batch = bytearray(SAMPLE)
    struct.pack_into(">ii", batch, 23, last_delta, 0)
    struct.pack_into(">i", batch, 57, count)
    decodes_or_is_corrupt(resign(batch))


def test_wrong_magic() -> None:
    batch = bytearray(SAMPLE)
    batch[16] = 1
    with pytest.raises(CorruptRecord, match="magic 1"):
        decode_batch(bytes(batch))


def test_negative_batch_length() -> None:
    batch = bytearray(SAMPLE)
    struct.pack_into(">i", batch, 8, -1)
    with pytest.raises(CorruptRecord, match="length -1"):
        decode_batch(bytes(batch))
    with pytest.raises(CorruptRecord, match="length -1"):
        list(iter_records(bytes(batch)))


def test_huge_record_count_is_refused_before_decoding() -> None:
    batch = bytearray(SAMPLE)
    struct.pack_into(">i", batch, 23, 2**31 - 1)
    struct.pack_into(">i", batch, 57, 2**31 - 1)
    with pytest.raises(CorruptRecord, match="declares 2147483647 records"):
        decode_batch(resign(batch))


GOOD = record(b"\x00", v(0), v(0), v(1), b"k", v(1), b"v", v(0))
BAD_RECORDS = {
    "negative record length": v(-3) + b"\x00" * 8,
    "record length past the batch": v(100) + b"\x00" * 8,
    "negative key length": record(b"\x00", v(0), v(0), v(-2), v(0), v(0)),
    "key past the record": record(b"\x00", v(0), v(0), v(50), b"k", v(0), v(0)),
    "negative value length": record(b"\x00", v(0), v(0), v(-1), v(-7), v(0)),
    "negative header count": record(b"\x00", v(0), v(0), v(-1), v(-1), v(-1)),
    "huge header count": record(b"\x00", v(0), v(0), v(-1), v(-1), v(2**31 - 1)),
    "negative header key length": record(b"\x00", v(0), v(0), v(-1), v(-1), v(1), v(-1), v(-1)),
    "negative header value length": record(
        b"\x00", v(0), v(0), v(-1), v(-1), v(1), v(1), b"h", v(-4)
    ),
    "record longer than its fields": record(b"\x00", v(0), v(0), v(-1), v(-1), v(0), b"xx"),
    "overlong varint": record(b"\x00", b"\x80" * 10 + b"\x00", v(0), v(-1), v(-1), v(0)),
}


@pytest.mark.parametrize("name", sorted(BAD_RECORDS))
def test_malformed_record_fields(name: str) -> None:
    batch = with_records(GOOD + BAD_RECORDS[name], count=2)
    with pytest.raises(CorruptRecord, match="batch at byte 0"):
        decode_batch(batch)


def test_hand_made_records_decode_when_well_formed() -> None:
    header, records = decode_batch(with_records(GOOD + GOOD, count=2))
    assert validate_batch(with_records(GOOD, count=1)).records_count == 1
    assert [(r.key, r.value) for r in records] == [(b"k", b"v"), (b"k", b"v")]
    assert header.records_count == 2


def test_bytes_after_the_last_record_are_corrupt() -> None:
    with pytest.raises(CorruptRecord, match="follow the last of 1 records"):
        decode_batch(with_records(GOOD + b"\x00" * 8, count=1, last_offset_delta=1))
