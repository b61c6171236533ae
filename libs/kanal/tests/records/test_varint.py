"""Zigzag varints against known encodings and kafka-python's independent implementation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kafka.record import util as kafka_util
from kanal.errors import CorruptRecord
from kanal.records.varint import (
    encode_varint,
    read_varint,
    read_varlong,
    size_of_varint,
    write_varint,
)

INT32 = st.integers(-(2**31), 2**31 - 1)
INT64 = st.integers(-(2**63), 2**63 - 1)

KNOWN = [
    (0, b"\x00"),
    (-1, b"\x01"),
    (1, b"\x02"),
    (63, b"\x7e"),
    (-64, b"\x7f"),
    (64, b"\x80\x01"),
    (8191, b"\xfe\x7f"),
    (8192, b"\x80\x80\x01"),
    (2**31 - 1, b"\xfe\xff\xff\xff\x0f"),
    (-(2**31), b"\xff\xff\xff\xff\x0f"),
    (2**63 - 1, b"\xfe" + b"\xff" * 8 + b"\x01"),
    (-(2**63), b"\xff" * 9 + b"\x01"),
]


@pytest.mark.parametrize(("value", "encoded"), KNOWN)
def test_known_encodings(value: int, encoded: bytes) -> None:
    assert encode_varint(value) == encoded
    assert size_of_varint(value) == len(encoded)
    assert read_varlong(encoded + b"tail", 0) == (value, len(encoded))


@given(INT64)
def test_varlong_round_trips_and_matches_kafka_python(value: int) -> None:
    out = bytearray(b"prefix")
    write_varint(out, value)
    theirs = bytearray()
    kafka_util.encode_varint(value, theirs.append)
    assert out[6:] == theirs
    assert size_of_varint(value) == len(theirs)
    assert read_varlong(bytes(out), 6) == (value, len(out))
    assert kafka_util.decode_varint(bytes(out), 6) == (value, len(out))


@given(INT32)
def test_varint_round_trips(value: int) -> None:
    encoded = encode_varint(value)
    assert len(encoded) <= 5
    assert read_varint(encoded, 0) == (value, len(encoded))


def test_values_outside_int64_are_refused() -> None:
    with pytest.raises(ValueError, match="int64"):
        encode_varint(2**63)


@pytest.mark.parametrize("encoded", [b"", b"\x80", b"\xff\xff", b"\x80\x80\x80\x80"])
def test_overrun_is_corrupt_record(encoded: bytes) -> None:
    with pytest.raises(CorruptRecord, match="past the end"):
        read_varlong(encoded, 0)


def test_varint_longer_than_five_bytes_is_corrupt() -> None:
    with pytest.raises(CorruptRecord, match="longer than 5 bytes"):
        read_varint(b"\x80\x80\x80\x80\x80\x00", 0)
    # The same bytes are a valid varlong.
    assert read_varlong(b"\x80\x80\x80\x80\x80\x00", 0) == (0, 6)


def test_varlong_longer_than_ten_bytes_is_corrupt() -> None:
    with pytest.raises(CorruptRecord, match="longer than 10 bytes"):
        read_varlong(b"\x80" * 10 + b"\x00", 0)


@given(st.binary(max_size=12), st.integers(0, 12))
def test_arbitrary_bytes_decode_or_raise_corrupt_record(data: bytes, pos: int) -> None:
    try:
        value, end = read_varlong(data, pos)
    except CorruptRecord:
        return
    assert pos < end <= len(data)
    assert isinstance(value, int)
