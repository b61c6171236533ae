"""`parse_message`'s Insert fast path against the general cursor (`parse_with_reader`): the
same message or the same error text, for well-formed Inserts, Inserts cut or padded
anywhere, and Insert-looking bytes with junk inside."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st
from kanal_connect.connectors.postgres.pgoutput import (
    UNCHANGED,
    Insert,
    Message,
    parse_message,
    parse_with_reader,
)
from kanal_connect.errors import DataException

_column = st.one_of(
    st.just(b"n"), st.just(b"u"),
    st.text(max_size=12).map(lambda t: b"t" + struct.pack(">i", len(t.encode())) + t.encode()),
    st.binary(max_size=6).map(lambda b: b"b" + struct.pack(">i", len(b)) + b),
    st.binary(max_size=6),  # junk: unknown kinds, short lengths, invalid UTF-8
)


@st.composite
def inserts(draw: st.DrawFn) -> bytes:
    columns = draw(st.lists(_column, max_size=6))
    count = draw(st.one_of(st.just(len(columns)), st.integers(-3, 8)))
    relid = draw(st.integers(0, 2**32 - 1))
    tag = draw(st.sampled_from([b"N", b"N", b"K", b"O", b"\0"]))
    message = b"I" + struct.pack(">I", relid) + tag + struct.pack(">h", count) + b"".join(columns)
    cut = draw(st.one_of(st.none(), st.integers(0, len(message))))
    tail = draw(st.one_of(st.just(b""), st.binary(max_size=3)))
    return (message if cut is None else message[:cut]) + tail


def _outcome(parse: object, data: bytes) -> tuple[str, object]:
    assert callable(parse)
    try:
        parsed: Message = parse(data)
    except DataException as error:
        return "error", str(error)
    return "message", parsed


@given(inserts())
def test_the_fast_path_is_the_cursor_message_for_message_and_error_for_error(
    data: bytes,
) -> None:
    assert _outcome(parse_message, data) == _outcome(parse_with_reader, data)


@given(st.binary(max_size=40).map(lambda body: b"I" + body))
def test_any_bytes_after_an_insert_tag_agree(data: bytes) -> None:
    assert _outcome(parse_message, data) == _outcome(parse_with_reader, data)


def test_a_well_formed_insert() -> None:
    data = (b"I" + struct.pack(">I", 4_000_000_000) + b"N" + struct.pack(">h", 4)
            + b"t" + struct.pack(">i", 2) + b"\xc3\xa9" + b"n" + b"u"
            + b"b" + struct.pack(">i", 1) + b"\x00")
    assert parse_message(memoryview(data).tobytes()) == Insert(
        4_000_000_000, ("é", None, UNCHANGED, b"\x00"))
