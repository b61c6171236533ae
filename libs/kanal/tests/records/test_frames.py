"""Decompressed-size bounds of lz4 and zstd frames, against frames written by independent
libraries with every header option."""

from __future__ import annotations

import contextlib
import struct

import lz4.frame  # type: ignore[import-untyped]
import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal.errors import CorruptRecord
from kanal.records.compression import compress, decompress
from kanal.records.frames import lz4_bound, zstd_bound
from kanal.records.header import CODEC_LZ4, CODEC_ZSTD

payloads = st.one_of(
    st.binary(max_size=5000),
    st.integers(0, 600_000).map(bytes),
    st.integers(1, 3000).map(lambda n: b"".join(b"row %d;" % i for i in range(n))),
)
SKIPPABLE = struct.pack("<II", 0x184D2A53, 3) + b"abc"


@settings(max_examples=40)
@given(
    payloads,
    st.sampled_from([lz4.frame.BLOCKSIZE_MAX64KB, lz4.frame.BLOCKSIZE_MAX4MB]),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_lz4_bound_covers_every_frame_layout(
    data: bytes, block_size: int, linked: bool, checksums: bool, with_size: bool
) -> None:
    frame = lz4.frame.compress(
        data,
        block_size=block_size,
        block_linked=linked,
        content_checksum=checksums,
        block_checksum=checksums,
        store_size=with_size,
    )
    assert lz4_bound(frame) >= len(data)
    assert lz4_bound(frame + SKIPPABLE + frame) >= 2 * len(data)
    assert decompress(CODEC_LZ4, frame) == data


@settings(max_examples=40)
@given(payloads, st.booleans(), st.booleans(), st.integers(1, 19))
def test_zstd_bound_covers_every_frame_layout(
    data: bytes, with_size: bool, checksum: bool, level: int
) -> None:
    frame = zstandard.ZstdCompressor(
        level=level, write_content_size=with_size, write_checksum=checksum
    ).compress(data)
    assert zstd_bound(frame) >= len(data)
    assert zstd_bound(frame + SKIPPABLE + frame) >= 2 * len(data)
    assert decompress(CODEC_ZSTD, frame) == data


def test_bounds_are_tight_enough_to_skip_the_exact_path_for_normal_batches() -> None:
    data = b"".join(b"record %d with some text; " % i for i in range(40_000))
    assert len(data) <= lz4_bound(compress(CODEC_LZ4, data)) <= len(data) + (64 << 10)
    assert len(data) <= zstd_bound(compress(CODEC_ZSTD, data)) <= len(data) + (128 << 10)


def test_a_loose_bound_over_max_size_still_decodes_data_that_fits() -> None:
    frame = lz4.frame.compress(b"a" * 2000, store_size=False)
    assert lz4_bound(frame) >= 64 << 10  # a compressed block counts as a full one
    assert decompress(CODEC_LZ4, frame, max_size=5000) == b"a" * 2000
    with pytest.raises(CorruptRecord, match="more than 1999 bytes"):
        decompress(CODEC_LZ4, frame, max_size=1999)


@pytest.mark.parametrize(
    ("bound", "frame"),
    [
        (lz4_bound, lz4.frame.compress(b"x" * 100_000)),
        (zstd_bound, zstandard.ZstdCompressor().compress(b"x" * 100_000)),
    ],
)
def test_every_cut_frame_is_corrupt(bound: object, frame: bytes) -> None:
    assert callable(bound)
    for size in range(1, len(frame)):
        with pytest.raises(CorruptRecord):
            bound(frame[:size])


@given(st.binary(max_size=64))
def test_garbage_raises_only_corrupt_record(garbage: bytes) -> None:
    for bound in (lz4_bound, zstd_bound):
        for prefix in (b"", b"\x04\x22\x4d\x18", b"\x28\xb5\x2f\xfd"):
            with contextlib.suppress(CorruptRecord):
                assert bound(prefix + garbage) >= 0
