"""The framing bytes: golden vectors, confluent-kafka's own encoder as the reference, and
arbitrary bytes that must give SerializationError or a value, never another exception."""

from __future__ import annotations

import io

import pytest
from confluent_kafka.schema_registry.common.serde import SchemaId as ConfluentSchemaId
from hypothesis import given
from hypothesis import strategies as st
from kanal.errors import SerializationError
from kanal.serde.schema_types import SchemaId
from kanal.serde.wire import (
    HEADER_SIZE,
    decode_message_indexes,
    encode_message_indexes,
    read_header,
    write_header,
)

indexes = st.lists(st.integers(min_value=0, max_value=2**31 - 1), min_size=1, max_size=8)


def test_header_golden_bytes() -> None:
    assert write_header(SchemaId(1)) == b"\x00\x00\x00\x00\x01"
    assert write_header(SchemaId(0x01020304)) == b"\x00\x01\x02\x03\x04"
    assert read_header(b"\x00\xff\xff\xff\xfftail") == 0xFFFFFFFF


@pytest.mark.parametrize(
    ("path", "encoded"),
    [
        ([0], b"\x00"),  # Confluent's shortcut for the first message
        ([1], b"\x02\x02"),  # count 1, index 1, both zigzagged
        ([0, 1], b"\x04\x00\x02"),
        ([64], b"\x02\x80\x01"),  # zigzag(64) = 128 takes two bytes
    ],
)
def test_message_index_golden_bytes(path: list[int], encoded: bytes) -> None:
    assert encode_message_indexes(path) == encoded
    assert decode_message_indexes(encoded + b"rest", 0) == (path, len(encoded))


def test_bad_ids_and_indexes_are_refused() -> None:
    with pytest.raises(SerializationError):
        write_header(SchemaId(2**32))
    with pytest.raises(SerializationError):
        encode_message_indexes([0, -1])


@given(st.integers(min_value=0, max_value=2**32 - 1), indexes)
def test_framing_matches_confluent_kafka(schema_id: int, path: list[int]) -> None:
    ours = write_header(SchemaId(schema_id)) + encode_message_indexes(path)
    theirs = ConfluentSchemaId("PROTOBUF", schema_id, None, path).id_to_bytes()
    assert ours == theirs
    parsed = ConfluentSchemaId("PROTOBUF")
    parsed.from_bytes(io.BytesIO(ours))
    assert (parsed.id, parsed.message_indexes) == (schema_id, path)


@given(indexes, st.binary(max_size=8))
def test_message_indexes_round_trip(path: list[int], rest: bytes) -> None:
    encoded = encode_message_indexes(path)
    assert decode_message_indexes(encoded + rest, 0) == (path, len(encoded))


@given(st.binary(max_size=40))
def test_arbitrary_header_bytes_give_an_id_or_serialization_error(data: bytes) -> None:
    try:
        schema_id = read_header(data)
    except SerializationError as error:
        assert "magic byte" in str(error) or "too short" in str(error)
    else:
        assert data[0] == 0 and len(data) >= HEADER_SIZE
        assert schema_id == int.from_bytes(data[1:5], "big")


@given(st.binary(max_size=40))
def test_arbitrary_index_bytes_give_a_path_or_serialization_error(data: bytes) -> None:
    try:
        path, position = decode_message_indexes(data, 0)
    except SerializationError:
        return
    assert path and all(index >= 0 for index in path)
    assert 0 < position <= len(data)
