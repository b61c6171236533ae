"""Lines in (kanal produce) and lines out (kanal consume)."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kanal import ConsumerRecord
from kanal.cli.consume import format_record
from kanal.cli.failures import CommandFailed
from kanal.cli.produce import read_records

no_newlines = st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"").replace(b"\r", b""))


@given(
    st.lists(st.tuples(no_newlines.map(lambda k: k.replace(b":", b"")), no_newlines), max_size=10)
)
def test_keyed_lines_round_trip(pairs: list[tuple[bytes, bytes]]) -> None:
    stream = io.BytesIO(b"".join(key + b":" + value + b"\n" for key, value in pairs))
    assert list(read_records(stream, b":")) == pairs


def test_line_endings_are_not_part_of_the_value() -> None:
    stream = io.BytesIO(b"a\r\nb\nc")
    assert list(read_records(stream, None)) == [(None, b"a"), (None, b"b"), (None, b"c")]


def test_a_line_without_the_separator_names_its_number() -> None:
    stream = io.BytesIO(b"k:v\nnokey\n")
    with pytest.raises(CommandFailed, match="line 2"):
        list(read_records(stream, b":"))


def _record(partition: int, offset: int, key: bytes | None, value: bytes) -> ConsumerRecord:
    return ConsumerRecord("t", partition, offset, 0, 0, key, value, (), -1, len(value))


def test_record_lines_like_the_console_consumer() -> None:
    record = _record(2, 17, None, b"hello")
    assert format_record(record, print_key=False, print_offset=False, separator=b"\t") == b"hello"
    assert format_record(record, print_key=True, print_offset=True, separator=b"\t") == (
        b"Partition:2\tOffset:17\tnull\thello"
    )
    keyed = _record(0, 0, b"k1", b"v")
    assert format_record(keyed, print_key=True, print_offset=False, separator=b":") == b"k1:v"
