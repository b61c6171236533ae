"""Compression of the records section of a batch, in the byte formats Kafka clients exchange.

- gzip: an RFC 1952 stream (members may be concatenated, as Java's GZIPInputStream allows).
- snappy: we write one raw snappy block, as librdkafka does. Java clients, kafka-python and
  aiokafka write xerial framing instead: the 16-byte header b"\\x82SNAPPY\\x00" + int32 version
  + int32 compat, then blocks of (int32 length, raw snappy block). Every client reads both, and
  so do we.
- lz4: the LZ4 frame format with independent blocks (KIP-57): Java's reader decodes each block
  on its own, so we never write linked blocks (we read them).
- zstd: a standard zstd frame.

Decompression is bounded by `max_size` (a decompression bomb must not exhaust memory): gzip
through zlib's output limit, snappy by the lengths its blocks declare, lz4 and zstd by the block
headers of their frames (`frames`). Every failure is a CorruptRecord: the input comes from the
network or the disk.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import cramjam

from kanal.errors import ConfigurationError, CorruptRecord, UnsupportedCompressionType
from kanal.records.frames import lz4_bound, zstd_bound
from kanal.records.header import (
    CODEC_GZIP,
    CODEC_LZ4,
    CODEC_NONE,
    CODEC_SNAPPY,
    CODEC_ZSTD,
)

DEFAULT_MAX_DECOMPRESSED = 64 * 1024 * 1024
"""Default bound on the decompressed records of one batch."""

CODEC_NAMES: dict[str, int] = {
    "none": CODEC_NONE,
    "gzip": CODEC_GZIP,
    "snappy": CODEC_SNAPPY,
    "lz4": CODEC_LZ4,
    "zstd": CODEC_ZSTD,
}

XERIAL_MAGIC = b"\x82SNAPPY\x00"
_XERIAL_HEADER_SIZE = 16  # magic (8) + int32 version + int32 compat
_XERIAL_HEADER = XERIAL_MAGIC + struct.pack(">ii", 1, 1)
_INT32 = struct.Struct(">i")

Buffer = bytes | bytearray | memoryview
_GZIP_WBITS = 16 + zlib.MAX_WBITS
# cramjam's lz4 levels below 3 select the fast compressor; its default is HC.
_LZ4_FAST = 0
# How cramjam words "the output buffer is full" (its only signal for it).
_OUTPUT_FULL = "failed to write whole buffer"


def codec_from_name(name: str) -> int:
    """The codec id for a `compression.type` name (none, gzip, snappy, lz4, zstd)."""
    try:
        return CODEC_NAMES[name.strip().lower()]
    except KeyError:
        raise ConfigurationError(
            f"unknown compression type {name!r}; expected one of {', '.join(CODEC_NAMES)}"
        ) from None


def compress(codec: int, data: Buffer, *, level: int | None = None) -> bytes:
    """Compress a batch's records section with `codec` (not CODEC_NONE).

    Without a `level`, each codec uses the Java producer's default: gzip 6, zstd 3, and lz4's
    fast (non-HC) compressor, which cramjam would otherwise replace with ten times slower HC."""
    if codec == CODEC_ZSTD:
        return bytes(cramjam.zstd.compress(data, level=level))
    if codec == CODEC_LZ4:
        compressor = cramjam.lz4.Compressor(
            level=_LZ4_FAST if level is None else level,
            content_checksum=False,
            block_linked=False,
        )
        compressor.compress(data if type(data) is bytes else bytes(data))  # it takes bytes only
        return bytes(compressor.finish())
    if codec == CODEC_SNAPPY:
        return bytes(cramjam.snappy.compress_raw(data))
    if codec == CODEC_GZIP:
        return bytes(cramjam.gzip.compress(data, level=level))
    raise UnsupportedCompressionType(f"cannot compress with codec id {codec}")


def xerial_snappy(data: Buffer, block_size: int = 32 * 1024) -> bytes:
    """Snappy in xerial framing, as Java clients write it (for tests and interoperability)."""
    out = bytearray(_XERIAL_HEADER)
    view = memoryview(data)
    for start in range(0, len(view), block_size):
        block = bytes(cramjam.snappy.compress_raw(view[start : start + block_size]))
        out += _INT32.pack(len(block))
        out += block
    return bytes(out)


def decompress(codec: int, data: Buffer, *, max_size: int = DEFAULT_MAX_DECOMPRESSED) -> bytes:
    """Decompress a batch's records section; CorruptRecord if it is invalid or would exceed
    `max_size` bytes."""
    try:
        if codec == CODEC_ZSTD:
            return _decompress_framed(_ZSTD_FRAMES, data, max_size)
        if codec == CODEC_LZ4:
            return _decompress_framed(_LZ4_FRAMES, data, max_size)
        if codec == CODEC_SNAPPY:
            return _decompress_snappy(bytes(data), max_size)
        if codec == CODEC_GZIP:
            return _decompress_gzip(data, max_size)
    except cramjam.DecompressionError as exc:
        raise CorruptRecord(f"invalid {_name(codec)} data: {exc}") from None
    except zlib.error as exc:
        raise CorruptRecord(f"invalid gzip data: {exc}") from None
    raise CorruptRecord(f"unknown compression codec id {codec}")


def _name(codec: int) -> str:
    for name, value in CODEC_NAMES.items():
        if value == codec:
            return name
    return f"codec {codec}"


def _too_big(kind: str, max_size: int) -> CorruptRecord:
    return CorruptRecord(f"{kind} data decompresses to more than {max_size} bytes")


def _decompress_gzip(data: Buffer, max_size: int) -> bytes:
    out = bytearray()
    rest = bytes(data)
    while True:
        inflater = zlib.decompressobj(_GZIP_WBITS)
        out += inflater.decompress(rest, max_size + 1 - len(out))
        if len(out) > max_size:
            raise _too_big("gzip", max_size)
        if not inflater.eof:
            raise CorruptRecord("gzip data ends before its stream does")
        rest = inflater.unused_data
        if not rest:
            return bytes(out)


def _decompress_snappy(data: bytes, max_size: int) -> bytes:
    if not data.startswith(XERIAL_MAGIC):
        # A raw block states its decompressed length up front: check it before allocating.
        if cramjam.snappy.decompress_raw_len(data) > max_size:
            raise _too_big("snappy", max_size)
        return bytes(cramjam.snappy.decompress_raw(data))
    if len(data) < _XERIAL_HEADER_SIZE:
        raise CorruptRecord("xerial snappy data shorter than its 16-byte header")
    out = bytearray()
    pos = _XERIAL_HEADER_SIZE
    while pos < len(data):
        if len(data) - pos < 4:
            raise CorruptRecord(f"xerial snappy block length cut at byte {pos}")
        (block_len,) = _INT32.unpack_from(data, pos)
        pos += 4
        if block_len < 0 or pos + block_len > len(data):
            raise CorruptRecord(f"xerial snappy block at byte {pos} declares {block_len} bytes")
        block = data[pos : pos + block_len]
        if len(out) + cramjam.snappy.decompress_raw_len(block) > max_size:
            raise _too_big("snappy", max_size)
        out += cramjam.snappy.decompress_raw(block)
        pos += block_len
    return bytes(out)


@dataclass(frozen=True, slots=True)
class _FramedCodec:
    """A codec whose frames state their block sizes (see `frames`)."""

    kind: str
    bound: Callable[[bytes], int]
    decompress_all: Callable[[bytes], bytes]
    decompress_into: Callable[[bytes, bytearray], int]


_LZ4_FRAMES = _FramedCodec(
    "lz4",
    lz4_bound,
    lambda source: bytes(cramjam.lz4.decompress(source)),
    cramjam.lz4.decompress_into,
)
_ZSTD_FRAMES = _FramedCodec(
    "zstd",
    zstd_bound,
    lambda source: bytes(cramjam.zstd.decompress(source)),
    cramjam.zstd.decompress_into,
)


def _decompress_framed(codec: _FramedCodec, data: Buffer, max_size: int) -> bytes:
    source = bytes(data)
    if codec.bound(source) <= max_size:
        out = codec.decompress_all(source)
    else:
        # The block headers allow more than max_size (a bomb, or a loose bound): decide
        # exactly, in a buffer one byte larger than allowed.
        buffer = bytearray(max_size + 1)
        try:
            written = codec.decompress_into(source, buffer)
        except cramjam.DecompressionError as exc:
            if _OUTPUT_FULL in str(exc):
                raise _too_big(codec.kind, max_size) from None
            raise
        out = bytes(memoryview(buffer)[:written])
    if len(out) > max_size:
        raise _too_big(codec.kind, max_size)
    return out
