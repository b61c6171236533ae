"""Codecs: round trips, interoperability with independent libraries, bombs and garbage."""

from __future__ import annotations

import contextlib
import gzip

import lz4.frame  # type: ignore[import-untyped]
import pytest
import snappy  # type: ignore[import-untyped]
import zstandard
from hypothesis import given
from hypothesis import strategies as st
from kafka import codec as kafka_codec
from kanal.errors import ConfigurationError, CorruptRecord, UnsupportedCompressionType
from kanal.records.compression import (
    codec_from_name,
    compress,
    decompress,
    xerial_snappy,
)
from kanal.records.header import CODEC_GZIP, CODEC_LZ4, CODEC_NONE, CODEC_SNAPPY, CODEC_ZSTD

CODECS = [CODEC_GZIP, CODEC_SNAPPY, CODEC_LZ4, CODEC_ZSTD]
PAYLOAD = b"".join(b"record %d of the batch, " % i for i in range(5000))


@pytest.mark.parametrize(
    ("name", "codec"),
    [("none", 0), ("gzip", 1), ("snappy", 2), ("lz4", 3), ("zstd", 4), (" ZSTD ", 4)],
)
def test_codec_from_name(name: str, codec: int) -> None:
    assert codec_from_name(name) == codec


def test_unknown_codec_name_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="brotli"):
        codec_from_name("brotli")


def test_compress_refuses_none_and_unknown_ids() -> None:
    for codec in (CODEC_NONE, 7):
        with pytest.raises(UnsupportedCompressionType):
            compress(codec, b"x")


@pytest.mark.parametrize("codec", CODECS)
@given(data=st.binary(max_size=3000))
def test_round_trip(codec: int, data: bytes) -> None:
    assert decompress(codec, compress(codec, data)) == data


@pytest.mark.parametrize("codec", CODECS)
def test_round_trip_of_a_large_compressible_payload(codec: int) -> None:
    compressed = compress(codec, PAYLOAD)
    assert len(compressed) < len(PAYLOAD) // 3
    assert decompress(codec, compressed) == PAYLOAD
    assert decompress(codec, bytearray(compressed)) == PAYLOAD
    assert decompress(codec, memoryview(compressed)) == PAYLOAD
    assert compress(codec, bytearray(PAYLOAD)) == compressed
    assert compress(codec, memoryview(PAYLOAD)) == compressed


def test_independent_libraries_read_what_we_write() -> None:
    assert gzip.decompress(compress(CODEC_GZIP, PAYLOAD)) == PAYLOAD
    assert snappy.decompress(compress(CODEC_SNAPPY, PAYLOAD)) == PAYLOAD  # a raw block
    assert lz4.frame.decompress(compress(CODEC_LZ4, PAYLOAD)) == PAYLOAD
    assert zstandard.ZstdDecompressor().decompress(compress(CODEC_ZSTD, PAYLOAD)) == PAYLOAD
    for codec in CODECS:
        name = {1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}[codec]
        decode = getattr(kafka_codec, f"{name}_decode")
        assert decode(compress(codec, PAYLOAD)) == PAYLOAD


def test_lz4_frames_have_independent_blocks() -> None:
    # KIP-57: Java's KafkaLZ4BlockInputStream cannot read linked blocks. FLG is byte 4 of the
    # frame; bit 5 is block independence.
    frame = compress(CODEC_LZ4, PAYLOAD)
    assert frame[:4] == b"\x04\x22\x4d\x18"
    assert frame[4] & 0x20


def test_we_read_what_independent_libraries_write() -> None:
    assert decompress(CODEC_GZIP, gzip.compress(PAYLOAD)) == PAYLOAD
    assert decompress(CODEC_SNAPPY, snappy.compress(PAYLOAD)) == PAYLOAD
    assert decompress(CODEC_LZ4, lz4.frame.compress(PAYLOAD, block_linked=False)) == PAYLOAD
    assert decompress(CODEC_LZ4, lz4.frame.compress(PAYLOAD, content_checksum=True)) == PAYLOAD
    assert decompress(CODEC_ZSTD, zstandard.ZstdCompressor().compress(PAYLOAD)) == PAYLOAD
    streamed = zstandard.ZstdCompressor(write_content_size=False).compress(PAYLOAD)
    assert decompress(CODEC_ZSTD, streamed) == PAYLOAD


def test_xerial_snappy_as_java_and_kafka_python_write_it() -> None:
    theirs = kafka_codec.snappy_encode(PAYLOAD)  # xerial framing, 32 KiB blocks
    assert theirs.startswith(b"\x82SNAPPY\x00")
    assert decompress(CODEC_SNAPPY, theirs) == PAYLOAD
    ours = xerial_snappy(PAYLOAD)
    assert ours.startswith(b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01")
    assert kafka_codec.snappy_decode(ours) == PAYLOAD
    assert decompress(CODEC_SNAPPY, ours) == PAYLOAD


def test_concatenated_gzip_members_are_read_like_java() -> None:
    data = gzip.compress(b"first ") + gzip.compress(b"second")
    assert decompress(CODEC_GZIP, data) == b"first second"


@pytest.mark.parametrize("codec", CODECS)
def test_decompression_bomb_is_refused(codec: int) -> None:
    bomb = compress(codec, bytes(4 * 1024 * 1024))
    with pytest.raises(CorruptRecord, match="more than 1000000 bytes"):
        decompress(codec, bomb, max_size=1_000_000)
    assert len(decompress(codec, bomb, max_size=4 * 1024 * 1024)) == 4 * 1024 * 1024


def test_xerial_bomb_is_refused() -> None:
    with pytest.raises(CorruptRecord, match="more than"):
        decompress(CODEC_SNAPPY, xerial_snappy(bytes(1 << 20)), max_size=100_000)


@pytest.mark.parametrize("codec", CODECS)
def test_truncated_data_is_corrupt(codec: int) -> None:
    compressed = compress(codec, PAYLOAD)
    with pytest.raises(CorruptRecord):
        decompress(codec, compressed[: len(compressed) // 2])


@pytest.mark.parametrize("codec", CODECS)
@given(garbage=st.binary(max_size=200))
def test_garbage_raises_only_corrupt_record(codec: int, garbage: bytes) -> None:
    with contextlib.suppress(CorruptRecord):
        decompress(codec, garbage, max_size=1 << 20)


@given(garbage=st.binary(max_size=200))
def test_garbage_after_the_xerial_magic_raises_only_corrupt_record(garbage: bytes) -> None:
    with contextlib.suppress(CorruptRecord):
        decompress(CODEC_SNAPPY, b"\x82SNAPPY\x00" + garbage, max_size=1 << 20)


def test_unknown_codec_on_read_is_corrupt() -> None:
    with pytest.raises(CorruptRecord, match="codec id 6"):
        decompress(6, b"data")
