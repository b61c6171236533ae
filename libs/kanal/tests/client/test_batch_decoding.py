"""The consumer's compiled decoding path against our reference codec.

`decode_for_consumer` parses uncompressed batches with aiokafka's compiled decoder; our pure
decoder (`decode_batch`) is the reference. On any valid batch both must give the same records;
on any mutated batch (re-signed, so the CRC passes and the record parser is reached) the
consumer path raises CorruptRecord or hands out the declared number of records, the first
and last inside the batch's offset range, never anything else. (It may differ from the
reference on such bytes: aiokafka reads the unused attributes byte as a varint; see
batch_decoding's docstring.)
"""

from __future__ import annotations

import struct

import crc32c
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal.client.batch_decoding import decode_for_consumer
from kanal.client.records import ConsumerRecord
from kanal.errors import CorruptRecord
from kanal.records.builder import BatchBuilder
from kanal.records.header import CRC_START, HEADER_SIZE, set_log_append_time
from kanal.records.reader import decode_batch
from kanal.types import TopicPartition

TP = TopicPartition("orders", 3)
_maybe_bytes = st.none() | st.binary(max_size=300)
_record = st.tuples(
    st.integers(0, 2**41),
    _maybe_bytes,
    _maybe_bytes,
    st.lists(st.tuples(st.text(max_size=8), _maybe_bytes), max_size=3),
)


def build(records: list[tuple[int, bytes | None, bytes | None, list[tuple[str, bytes | None]]]],
          codec: int = 0, base_offset: int = 100) -> bytes:
    builder = BatchBuilder(codec=codec)
    for timestamp, key, value, headers in records:
        builder.append(timestamp, key, value, headers)
    return builder.build(base_offset=base_offset)


def reference(batch: bytes) -> list[tuple[object, ...]]:
    _, records = decode_batch(batch)
    return [
        (r.offset, r.timestamp, r.timestamp_type, r.key, r.value, list(r.headers))
        for r in records
    ]


def consumer_view(records: list[ConsumerRecord]) -> list[tuple[object, ...]]:
    return [
        (r.offset, r.timestamp, r.timestamp_type, r.key, r.value, list(r.headers))
        for r in records
    ]


@settings(max_examples=200)
@given(st.lists(_record, min_size=1, max_size=20), st.sampled_from([0, 1, 4]))
def test_every_valid_batch_decodes_as_the_reference_does(
    records: list[tuple[int, bytes | None, bytes | None, list[tuple[str, bytes | None]]]],
    codec: int,
) -> None:
    batch = build(records, codec)
    header, decoded = decode_for_consumer(TP, batch, 0, None, None)
    assert header.records_count == len(records)
    assert consumer_view(decoded) == reference(batch)
    assert all(r.topic == "orders" and r.partition == 3 for r in decoded)
    assert [r.serialized_value_size for r in decoded] == [
        -1 if value is None else len(value) for _, _, value, _ in records
    ]


def test_log_append_time_replaces_every_record_timestamp() -> None:
    batch = bytearray(build([(5, b"k", b"v", []), (9, None, b"w", [])]))
    set_log_append_time(batch, 0, 77_000)
    _, decoded = decode_for_consumer(TP, bytes(batch), 0, None, None)
    assert [(r.timestamp, r.timestamp_type) for r in decoded] == [(77_000, 1), (77_000, 1)]


def test_deserializers_apply_to_keys_and_values_but_not_to_nulls() -> None:
    batch = build([(1, b"a", b"1", []), (2, None, None, [])])
    _, decoded = decode_for_consumer(TP, batch, 0, bytes.upper, int)
    assert [(r.key, r.value) for r in decoded] == [(b"A", 1), (None, None)]


def resign(batch: bytearray) -> bytes:
    struct.pack_into(">I", batch, 17, crc32c.crc32c(memoryview(batch)[CRC_START:]))
    return bytes(batch)


@settings(max_examples=400)
@given(st.data())
def test_mutated_record_bytes_are_corrupt_or_stay_inside_the_batch(
    data: st.DataObject,
) -> None:
    batch = bytearray(build([(1_000, b"key", b"value", [("h", b"1")]), (1_001, None, b"v" * 200,
                                                                        [])]))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(HEADER_SIZE, len(batch) - 1))
        batch[position] = data.draw(st.integers(0, 255))
    signed = resign(batch)
    try:
        header, decoded = decode_for_consumer(TP, signed, 0, None, None)
    except CorruptRecord:
        return
    assert len(decoded) == header.records_count
    assert decoded[0].offset >= header.base_offset
    assert decoded[-1].offset <= header.last_offset  # the next position stays in the batch


def test_the_attributes_byte_difference_is_refused_not_misread() -> None:
    batch = bytearray(build([(1_000, b"key", b"value", []), (1_001, b"k2", b"v2", [])]))
    batch[HEADER_SIZE + 1] = 0x80  # the first record's attributes (its length is one byte)
    signed = resign(batch)
    assert [r[3] for r in reference(signed)] == [b"key", b"k2"]  # Java ignores the byte
    with pytest.raises(CorruptRecord):
        decode_for_consumer(TP, signed, 0, None, None)


def test_a_bad_crc_is_refused_before_any_record_is_parsed() -> None:
    batch = bytearray(build([(1, b"k", b"v", [])]))
    batch[-1] ^= 0xFF
    with pytest.raises(CorruptRecord):
        decode_for_consumer(TP, bytes(batch), 0, None, None)
