"""Our batches against two independent encoders: kafka-python's and aiokafka's builders.

Uncompressed, the bytes must be identical (they use Kafka's conventions: base timestamp = the
first record's, CRC-32C over attributes..end). Compressed, the compressors' settings differ,
so we compare what each side decodes from the other's batch.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from aiokafka.record.default_records import DefaultRecordBatch as AioBatch
from aiokafka.record.default_records import DefaultRecordBatchBuilder as AioBuilder
from hypothesis import given, settings
from hypothesis import strategies as st
from kafka.record.default_records import DefaultRecordBatch as KafkaBatch
from kafka.record.default_records import DefaultRecordBatchBuilder as KafkaBuilder
from kanal.records.builder import BatchBuilder
from kanal.records.header import CODEC_NONE
from kanal.records.reader import decode_batch

Headers = list[tuple[str, bytes | None]]
Row = tuple[int, bytes | None, bytes | None, Headers]

CODECS = [0, 1, 2, 3, 4]
TIMESTAMP = 1_700_000_000_000

headers_strategy = st.lists(
    st.tuples(st.text(max_size=8), st.none() | st.binary(max_size=16)), max_size=3
)
rows_strategy = st.lists(
    st.tuples(
        st.integers(0, 2**62),
        st.none() | st.binary(max_size=40),
        st.none() | st.binary(max_size=300),
        headers_strategy,
    ),
    min_size=1,
    max_size=30,
)


def ours(rows: Sequence[Row], codec: int = CODEC_NONE, **kwargs: int) -> bytes:
    builder = BatchBuilder(codec=codec, max_bytes=1 << 30)
    for timestamp, key, value, headers in rows:
        assert builder.append(timestamp, key, value, headers) is not None
    return builder.build(**kwargs)


def kafka_python(rows: Sequence[Row], codec: int = CODEC_NONE) -> bytes:
    builder = KafkaBuilder(2, codec, False, -1, -1, -1, 1 << 30)
    for offset, (timestamp, key, value, headers) in enumerate(rows):
        builder.append(offset, timestamp, key, value, headers)
    return bytes(builder.build())


def aiokafka(rows: Sequence[Row], codec: int = CODEC_NONE) -> bytes:
    builder = AioBuilder(2, codec, False, -1, -1, -1, 1 << 30)
    for offset, (timestamp, key, value, headers) in enumerate(rows):
        builder.append(offset, timestamp, key, value, headers)
    return bytes(builder.build())


def decoded_by_us(batch: bytes) -> list[Row]:
    _, records = decode_batch(batch)
    return [(r.timestamp, r.key, r.value, list(r.headers)) for r in records]


def decoded_by_them(batch: bytes) -> list[Row]:
    kafka_rows = [(r.timestamp, r.key, r.value, list(r.headers)) for r in KafkaBatch(batch)]
    aio_rows = [(r.timestamp, r.key, r.value, list(r.headers)) for r in AioBatch(batch)]
    assert kafka_rows == aio_rows
    return kafka_rows


SAMPLE: list[Row] = [
    (TIMESTAMP, None, b"value-0", []),
    (TIMESTAMP + 5, b"key-1", None, [("trace", b"abc"), ("empty", None)]),
    (TIMESTAMP - 3, b"", b"", []),
    (TIMESTAMP + 100_000, b"k" * 200, b"v" * 20_000, [("\u00e9t\u00e9", b"\x00\xff")]),
]


def test_uncompressed_bytes_identical_to_kafka_python() -> None:
    # kafka-python writes partition leader epoch 0 where Java and aiokafka write -1.
    assert ours(SAMPLE, partition_leader_epoch=0) == kafka_python(SAMPLE)


def test_uncompressed_bytes_identical_to_aiokafka() -> None:
    assert ours(SAMPLE) == aiokafka(SAMPLE)


@settings(max_examples=60)
@given(rows_strategy)
def test_uncompressed_bytes_identical_for_any_records(rows: list[Row]) -> None:
    batch = ours(rows)
    assert batch == aiokafka(rows)
    assert ours(rows, partition_leader_epoch=0) == kafka_python(rows)


@pytest.mark.parametrize("codec", CODECS)
def test_they_read_our_batches(codec: int) -> None:
    batch = ours(SAMPLE, codec)
    assert KafkaBatch(batch).compression_type == codec
    assert KafkaBatch(batch).validate_crc()
    assert AioBatch(batch).validate_crc()
    assert decoded_by_them(batch) == SAMPLE


@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize("encoder", [kafka_python, aiokafka])
def test_we_read_their_batches(codec: int, encoder: object) -> None:
    assert callable(encoder)
    batch = encoder(SAMPLE, codec)
    header, _ = decode_batch(batch)
    assert header.codec == codec  # the sample compresses, so they did not fall back to none
    assert decoded_by_us(batch) == SAMPLE


@settings(max_examples=25)
@given(rows_strategy, st.sampled_from(CODECS))
def test_compressed_batches_cross_read_for_any_records(rows: list[Row], codec: int) -> None:
    assert decoded_by_them(ours(rows, codec)) == rows
    assert decoded_by_us(kafka_python(rows, codec)) == rows
    assert decoded_by_us(aiokafka(rows, codec)) == rows
