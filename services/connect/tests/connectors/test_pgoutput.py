"""The pgoutput parser: golden messages built by hand, and fuzzing for clean errors."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kanal_connect.connectors.postgres.pgoutput import (
    UNCHANGED,
    Begin,
    Commit,
    Delete,
    Insert,
    Relation,
    RelationColumn,
    Truncate,
    Update,
    format_lsn,
    parse_lsn,
    parse_message,
    timestamp_ms,
)
from kanal_connect.errors import DataException


def cstr(text: str) -> bytes:
    return text.encode() + b"\0"


def tuple_data(*values: str | None) -> bytes:
    out = struct.pack(">h", len(values))
    for value in values:
        if value is None:
            out += b"n"
        elif value == "<unchanged>":
            out += b"u"
        else:
            raw = value.encode()
            out += b"t" + struct.pack(">i", len(raw)) + raw
    return out


def test_begin_and_commit() -> None:
    begin = b"B" + struct.pack(">QqI", 0x16B374D848, 757_382_400_000_000, 731)
    assert parse_message(begin) == Begin(0x16B374D848, 757_382_400_000_000, 731)
    commit = b"C" + struct.pack(">bQQq", 0, 100, 140, 5)
    assert parse_message(commit) == Commit(0, 100, 140, 5)


def test_relation() -> None:
    data = (
        b"R" + struct.pack(">I", 16384) + cstr("public") + cstr("users") + b"d"
        + struct.pack(">h", 2)
        + b"\x01" + cstr("id") + struct.pack(">Ii", 23, -1)
        + b"\x00" + cstr("name") + struct.pack(">Ii", 25, -1)
    )
    assert parse_message(data) == Relation(
        16384, "public", "users", "d",
        (RelationColumn(True, "id", 23, -1), RelationColumn(False, "name", 25, -1)),
    )


def test_changes() -> None:
    relid = struct.pack(">I", 7)
    assert parse_message(b"I" + relid + b"N" + tuple_data("1", None)) == Insert(7, ("1", None))
    assert parse_message(b"U" + relid + b"N" + tuple_data("1", "<unchanged>")) == Update(
        7, None, ("1", UNCHANGED)
    )
    assert parse_message(
        b"U" + relid + b"K" + tuple_data("1") + b"N" + tuple_data("2")
    ) == Update(7, ("1",), ("2",))
    assert parse_message(b"D" + relid + b"K" + tuple_data("1")) == Delete(7, ("1",))
    truncate = b"T" + struct.pack(">ib", 2, 1) + struct.pack(">II", 7, 8)
    assert parse_message(truncate) == Truncate(1, (7, 8))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"Z",
        b"B\x00",
        b"C" + b"\x00" * 24,  # one byte short
        b"B" + b"\x00" * 21,  # one byte too many
        b"I" + struct.pack(">I", 1) + b"X" + tuple_data("1"),
        b"I" + struct.pack(">I", 1) + b"N" + struct.pack(">h", 1) + b"t" + struct.pack(">i", 9),
        b"I" + struct.pack(">I", 1) + b"N" + struct.pack(">h", -1),
        b"R" + struct.pack(">I", 1) + b"public",  # unterminated string
        b"T" + struct.pack(">ib", -5, 0),
    ],
)
def test_malformed_messages_raise_data_exception(data: bytes) -> None:
    with pytest.raises(DataException, match="pgoutput"):
        parse_message(data)


@given(st.binary(max_size=200))
def test_random_bytes_never_crash(data: bytes) -> None:
    with contextlib.suppress(DataException):
        parse_message(data)


@given(st.sampled_from(b"BCORYIUDTM"), st.binary(max_size=120))
def test_known_types_with_random_bodies_never_crash(kind: int, body: bytes) -> None:
    with contextlib.suppress(DataException):
        parse_message(bytes([kind]) + body)


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_lsn_text_round_trips(lsn: int) -> None:
    assert parse_lsn(format_lsn(lsn)) == lsn


def test_bad_lsn_text() -> None:
    with pytest.raises(DataException):
        parse_lsn("nonsense")


def test_timestamps_are_shifted_to_the_unix_epoch() -> None:
    assert timestamp_ms(0) == 946_684_800_000
