"""The fixed 61-byte header of a Kafka RecordBatch v2 (magic 2), and batch framing.

Byte layout (big-endian), offsets from the start of the batch:

     0  base_offset              int64   rewritten by the broker on append
     8  batch_length             int32   bytes after this field (total size = 12 + length)
    12  partition_leader_epoch   int32   rewritten by the broker on append
    16  magic                    int8    always 2
    17  crc                      uint32  CRC-32C of bytes 21..end
    21  attributes               int16   bits 0-2 codec, 3 timestamp type (1 = LogAppendTime),
                                         4 transactional, 5 control, 6 delete horizon set
    23  last_offset_delta        int32
    27  base_timestamp           int64   (the delete horizon when bit 6 is set)
    35  max_timestamp            int64
    43  producer_id              int64   -1 when not idempotent
    51  producer_epoch           int16
    53  base_sequence            int32
    57  records_count            int32
    61  records...                       compressed together when the codec is not none

The broker works only with this header: the fields it rewrites (base offset, leader epoch)
lie outside the CRC, so appending never touches record bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

import crc32c

from kanal.errors import CorruptRecord

HEADER_SIZE = 61
LOG_OVERHEAD = 12  # base_offset + batch_length: the part not counted in batch_length
MAGIC = 2
CRC_START = 21
# The smallest batch_length: header fields after the length field, and no records.
MIN_BATCH_LENGTH = HEADER_SIZE - LOG_OVERHEAD

CODEC_MASK = 0x07
TIMESTAMP_TYPE_MASK = 0x08
TRANSACTIONAL_MASK = 0x10
CONTROL_MASK = 0x20
DELETE_HORIZON_MASK = 0x40

CODEC_NONE = 0
CODEC_GZIP = 1
CODEC_SNAPPY = 2
CODEC_LZ4 = 3
CODEC_ZSTD = 4

NO_PRODUCER_ID = -1
NO_SEQUENCE = -1

_HEADER = struct.Struct(">qiibIhiqqqhii")
_OFFSET_AND_LENGTH = struct.Struct(">qi")
_INT64 = struct.Struct(">q")
_INT32 = struct.Struct(">i")


@dataclass(frozen=True, slots=True)
class BatchHeader:
    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    records_count: int

    @property
    def size(self) -> int:
        """Bytes the whole batch takes."""
        return LOG_OVERHEAD + self.batch_length

    @property
    def last_offset(self) -> int:
        return self.base_offset + self.last_offset_delta

    @property
    def next_offset(self) -> int:
        return self.base_offset + self.last_offset_delta + 1

    @property
    def codec(self) -> int:
        return self.attributes & CODEC_MASK

    @property
    def is_log_append_time(self) -> bool:
        return bool(self.attributes & TIMESTAMP_TYPE_MASK)

    @property
    def is_transactional(self) -> bool:
        return bool(self.attributes & TRANSACTIONAL_MASK)

    @property
    def is_control(self) -> bool:
        return bool(self.attributes & CONTROL_MASK)

    @property
    def has_producer_id(self) -> bool:
        return self.producer_id >= 0


def parse_header(buf: bytes | bytearray | memoryview, pos: int = 0) -> BatchHeader:
    """Read the header at `pos` without checking it (see `validate_batch`)."""
    if len(buf) - pos < HEADER_SIZE:
        raise CorruptRecord(
            f"truncated batch header at byte {pos}: {len(buf) - pos} of {HEADER_SIZE} bytes"
        )
    return BatchHeader(*_HEADER.unpack_from(buf, pos))


def validate_batch(
    buf: bytes | bytearray | memoryview, pos: int = 0, *, check_crc: bool = True
) -> BatchHeader:
    """Check the batch at `pos`: framing, magic, counts and CRC. Raise CorruptRecord."""
    header = parse_header(buf, pos)
    if header.magic != MAGIC:
        raise CorruptRecord(f"batch at byte {pos} has magic {header.magic}; only 2 is supported")
    if header.batch_length < MIN_BATCH_LENGTH:
        raise CorruptRecord(
            f"batch at byte {pos} declares length {header.batch_length} < {MIN_BATCH_LENGTH}"
        )
    end = pos + header.size
    if end > len(buf):
        raise CorruptRecord(
            f"batch at byte {pos} declares {header.size} bytes but only {len(buf) - pos} remain"
        )
    if header.codec > CODEC_ZSTD:
        raise CorruptRecord(f"batch at byte {pos} uses unknown compression codec {header.codec}")
    if header.last_offset_delta < 0 or header.records_count < 0:
        raise CorruptRecord(f"batch at byte {pos} has a negative offset delta or record count")
    if header.records_count > header.last_offset_delta + 1:
        raise CorruptRecord(
            f"batch at byte {pos} holds {header.records_count} records in "
            f"{header.last_offset_delta + 1} offsets"
        )
    if check_crc:
        actual = crc32c.crc32c(memoryview(buf)[pos + CRC_START:end])
        if actual != header.crc:
            raise CorruptRecord(
                f"batch at byte {pos} fails its CRC: stored {header.crc:#010x}, "
                f"computed {actual:#010x}"
            )
    return header


def iter_batches(
    buf: bytes | bytearray | memoryview, *, check_crc: bool = True
) -> Iterator[tuple[int, BatchHeader]]:
    """Yield (position, header) of each batch in `buf`; the batches must fill it exactly."""
    pos = 0
    end = len(buf)
    while pos < end:
        header = validate_batch(buf, pos, check_crc=check_crc)
        yield pos, header
        pos += header.size


def iter_complete_batches(
    buf: bytes | bytearray | memoryview,
) -> Iterator[tuple[int, BatchHeader]]:
    """Like `iter_batches` without CRC checks, stopping quietly at a partial trailing batch
    (a fetch answer cut by max_bytes, or a torn tail found during recovery)."""
    pos = 0
    end = len(buf)
    while end - pos >= LOG_OVERHEAD:
        _, length = _OFFSET_AND_LENGTH.unpack_from(buf, pos)
        if length < MIN_BATCH_LENGTH or pos + LOG_OVERHEAD + length > end:
            return
        yield pos, parse_header(buf, pos)
        pos += LOG_OVERHEAD + length


def set_base_offset(buf: bytearray | memoryview, pos: int, base_offset: int) -> None:
    """Rewrite the base offset in place (outside the CRC)."""
    _INT64.pack_into(buf, pos, base_offset)


def set_partition_leader_epoch(buf: bytearray | memoryview, pos: int, epoch: int) -> None:
    """Rewrite the partition leader epoch in place (outside the CRC)."""
    _INT32.pack_into(buf, pos + 12, epoch)


def set_log_append_time(buf: bytearray | memoryview, pos: int, timestamp_ms: int) -> None:
    """Mark the batch LogAppendTime with `timestamp_ms` as its max timestamp, and re-sign it.

    These fields are inside the CRC, so the CRC is computed again; record bytes are kept."""
    header = parse_header(buf, pos)
    struct.pack_into(">h", buf, pos + 21, header.attributes | TIMESTAMP_TYPE_MASK)
    _INT64.pack_into(buf, pos + 35, timestamp_ms)
    end = pos + header.size
    struct.pack_into(">I", buf, pos + 17, crc32c.crc32c(memoryview(buf)[pos + CRC_START:end]))
