"""Upper bounds on what lz4 and zstd frames decompress to, read from their block headers.

Decompressing without a bound would let a small batch claim gigabytes (a decompression bomb);
decompressing into a buffer of the maximum size costs allocating and zeroing that much for
every batch. Both formats state each block's size, so a walk over the block headers (a few
per batch) bounds the output before anything is decompressed.

lz4 frame (lz4_Frame_format.md), integers little-endian:

    magic 0x184D2204 | FLG | BD | content size u64 if FLG bit 3 | dict id u32 if FLG bit 0 | HC
    blocks: u32 size (bit 31 set = stored uncompressed; 0 = end mark) | data
            | u32 checksum if FLG bit 4
    u32 content checksum if FLG bit 2
    skippable frame: magic 0x184D2A50..0x184D2A5F | u32 size | data

  A block decompresses to at most the block maximum that BD bits 4-6 select (64 KiB .. 4 MiB).

zstd frame (RFC 8878), integers little-endian:

    magic 0xFD2FB528 | descriptor | window byte unless single-segment | dict id 0/1/2/4 bytes
    | content size 0/1/2/4/8 bytes
    blocks: 3-byte header (bit 0 last, bits 1-2 type, bits 3-23 size) | content
    u32 checksum if descriptor bit 2
    skippable frame: magic 0x184D2A50..0x184D2A5F | u32 size | data

  A raw block holds `size` bytes, an RLE block (one byte of content) stands for `size` bytes,
  and a compressed block decompresses to at most 128 KiB.
"""

from __future__ import annotations

import struct

from kanal.errors import CorruptRecord

_U32 = struct.Struct("<I")
_SKIPPABLE_MASK = 0xFFFFFFF0
_SKIPPABLE_MAGIC = 0x184D2A50
_LZ4_MAGIC = 0x184D2204
_LZ4_BLOCK_MAXIMUM = {4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20}
_LZ4_STORED = 0x80000000
_ZSTD_MAGIC = 0xFD2FB528
_ZSTD_BLOCK_MAXIMUM = 128 << 10
_ZSTD_DICT_ID_BYTES = (0, 1, 2, 4)
_ZSTD_RLE = 1
_ZSTD_COMPRESSED = 2
_ZSTD_RESERVED = 3


def lz4_bound(data: bytes) -> int:
    """The most that `data`, one or more lz4 frames, can decompress to."""
    pos = 0
    end = len(data)
    total = 0
    while pos < end:
        magic = _u32(data, pos, end, "lz4")
        if magic & _SKIPPABLE_MASK == _SKIPPABLE_MAGIC:
            pos += 8 + _u32(data, pos + 4, end, "lz4")
            continue
        if magic != _LZ4_MAGIC or end - pos < 7:
            raise CorruptRecord(f"no lz4 frame at byte {pos}")
        flags = data[pos + 4]
        block_maximum = _LZ4_BLOCK_MAXIMUM.get((data[pos + 5] >> 4) & 7)
        if block_maximum is None:
            raise CorruptRecord(f"lz4 frame at byte {pos} has an invalid block size code")
        pos += 7 + (8 if flags & 0x08 else 0) + (4 if flags & 0x01 else 0)
        checksum_bytes = 4 if flags & 0x10 else 0
        while True:
            size = _u32(data, pos, end, "lz4")
            pos += 4
            if size == 0:
                break
            stored = size & _LZ4_STORED
            size &= ~_LZ4_STORED
            if size > block_maximum:
                raise CorruptRecord(f"lz4 block at byte {pos} exceeds its frame's block size")
            total += size if stored else block_maximum
            pos += size + checksum_bytes
        pos += 4 if flags & 0x04 else 0
    if pos > end:
        raise CorruptRecord("lz4 data ends inside a frame")
    return total


def zstd_bound(data: bytes) -> int:
    """The most that `data`, one or more zstd frames, can decompress to."""
    pos = 0
    end = len(data)
    total = 0
    while pos < end:
        magic = _u32(data, pos, end, "zstd")
        if magic & _SKIPPABLE_MASK == _SKIPPABLE_MAGIC:
            pos += 8 + _u32(data, pos + 4, end, "zstd")
            continue
        if magic != _ZSTD_MAGIC or end - pos < 5:
            raise CorruptRecord(f"no zstd frame at byte {pos}")
        descriptor = data[pos + 4]
        single_segment = descriptor & 0x20
        content_size_flag = descriptor >> 6
        content_size_bytes = (1 if single_segment else 0, 2, 4, 8)[content_size_flag]
        pos += (
            5
            + (0 if single_segment else 1)
            + _ZSTD_DICT_ID_BYTES[descriptor & 0x03]
            + content_size_bytes
        )
        while True:
            if end - pos < 3:
                raise CorruptRecord("zstd data ends inside a frame")
            header = data[pos] | data[pos + 1] << 8 | data[pos + 2] << 16
            pos += 3
            kind = (header >> 1) & 3
            size = header >> 3
            if kind == _ZSTD_RESERVED:
                raise CorruptRecord(f"zstd block at byte {pos} has the reserved type")
            if kind == _ZSTD_COMPRESSED:
                total += _ZSTD_BLOCK_MAXIMUM
                pos += size
            elif kind == _ZSTD_RLE:
                total += size
                pos += 1
            else:
                total += size
                pos += size
            if header & 1:
                break
        pos += 4 if descriptor & 0x04 else 0
    if pos > end:
        raise CorruptRecord("zstd data ends inside a frame")
    return total


def _u32(data: bytes, pos: int, end: int, kind: str) -> int:
    if end - pos < 4:
        raise CorruptRecord(f"{kind} data ends inside a frame")
    value: int = _U32.unpack_from(data, pos)[0]
    return value
