"""Zigzag varints, as records of RecordBatch v2 store lengths, deltas and counts.

A signed value v is mapped to the unsigned z = (v << 1) ^ (v >> 63) (0, -1, 1, -2 ... become
0, 1, 2, 3 ...), then written 7 bits at a time, least significant group first, with the high
bit of each byte set while more bytes follow. Kafka's varint carries an int32 and takes at most
5 bytes; its varlong carries an int64 and takes at most 10. Both encode the same way, so one
writer serves both; the readers differ only in the length limit.

These functions sit on the produce and fetch hot paths: no per-call allocation beyond the
result, and the common one- and two-byte values come from a precomputed table.
"""

from __future__ import annotations

from kanal.errors import CorruptRecord

MAX_VARINT_BYTES = 5
MAX_VARLONG_BYTES = 10

_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1

# Every value with a one- or two-byte encoding whose zigzag form is even: 0 .. 8191.
# Lengths, offset deltas and counts are almost always here.
TABLE_LIMIT = 8192


def _encode_slow(value: int) -> bytes:
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError(f"{value} does not fit a varlong (int64)")
    zigzag = ((value << 1) ^ (value >> 63)) & 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while zigzag > 0x7F:
        out.append((zigzag & 0x7F) | 0x80)
        zigzag >>= 7
    out.append(zigzag)
    return bytes(out)


SMALL_VARINTS: tuple[bytes, ...] = tuple(_encode_slow(v) for v in range(TABLE_LIMIT))
"""`SMALL_VARINTS[v]` is the encoding of `v` for 0 <= v < TABLE_LIMIT."""

NULL_LENGTH = _encode_slow(-1)
"""The encoding of -1: the length of a null key, value or header value."""


def encode_varint(value: int) -> bytes:
    """The zigzag varint (or varlong) encoding of a value in the int64 range."""
    if 0 <= value < TABLE_LIMIT:
        return SMALL_VARINTS[value]
    return _encode_slow(value)


def write_varint(out: bytearray, value: int) -> None:
    """Append the zigzag encoding of `value` to `out`."""
    if 0 <= value < TABLE_LIMIT:
        out += SMALL_VARINTS[value]
    else:
        out += _encode_slow(value)


def size_of_varint(value: int) -> int:
    """Bytes the encoding of `value` takes."""
    zigzag = ((value << 1) ^ (value >> 63)) & 0xFFFFFFFFFFFFFFFF
    size = 1
    while zigzag > 0x7F:
        zigzag >>= 7
        size += 1
    return size


def read_unsigned(buf: bytes | bytearray | memoryview, pos: int, limit: int) -> tuple[int, int]:
    """Decode the still zigzagged value at `pos` of at most `limit` bytes: (z, next position).

    The record reader inlines the short cases and calls this for the rest."""
    start = pos
    zigzag = 0
    shift = 0
    try:
        while True:
            byte = buf[pos]
            pos += 1
            zigzag |= (byte & 0x7F) << shift
            if byte < 0x80:
                return zigzag, pos
            shift += 7
            if shift >= 7 * limit:
                raise CorruptRecord(f"varint at byte {start} is longer than {limit} bytes")
    except IndexError:
        raise CorruptRecord(f"varint at byte {start} runs past the end of the data") from None


def _read(buf: bytes | bytearray | memoryview, pos: int, limit: int) -> tuple[int, int]:
    try:
        byte = buf[pos]
    except IndexError:
        raise CorruptRecord(f"varint at byte {pos} runs past the end of the data") from None
    if byte < 0x80:
        return (byte >> 1) ^ -(byte & 1), pos + 1
    zigzag, pos = read_unsigned(buf, pos, limit)
    return (zigzag >> 1) ^ -(zigzag & 1), pos


def read_varint(buf: bytes | bytearray | memoryview, pos: int) -> tuple[int, int]:
    """Decode the varint at `pos`: (value, position after it). At most 5 bytes."""
    return _read(buf, pos, MAX_VARINT_BYTES)


def read_varlong(buf: bytes | bytearray | memoryview, pos: int) -> tuple[int, int]:
    """Decode the varlong at `pos`: (value, position after it). At most 10 bytes."""
    return _read(buf, pos, MAX_VARLONG_BYTES)
