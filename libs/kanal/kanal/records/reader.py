"""Decoding RecordBatch v2 into `Record`s (the record layout is drawn in `builder`).

Speed matters here (the consumer decodes hundreds of thousands of records per second), so the
record loop is one function with the one- and two-byte cases of its varints inline (lengths,
deltas and sizes below 8192); longer ones go through `varint.read_unsigned`. Safety matters as
much: the bytes come from the network, so every length is checked against the end of its
record, every record must end exactly where its length says, and anything malformed surfaces
as CorruptRecord, never as IndexError.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import cast

from kanal.errors import CorruptRecord
from kanal.records.compression import DEFAULT_MAX_DECOMPRESSED, decompress
from kanal.records.header import (
    CODEC_NONE,
    HEADER_SIZE,
    LOG_OVERHEAD,
    MIN_BATCH_LENGTH,
    BatchHeader,
    parse_header,
    validate_batch,
)
from kanal.records.record import (
    TIMESTAMP_CREATE_TIME,
    TIMESTAMP_LOG_APPEND_TIME,
    Header,
    Headers,
    Record,
)
from kanal.records.varint import (
    MAX_VARINT_BYTES,
    MAX_VARLONG_BYTES,
    read_unsigned,
    read_varint,
)

Buffer = bytes | bytearray | memoryview

# The smallest record: one byte each for length, attributes, timestamp delta, offset delta,
# key length, value length and header count.
MIN_RECORD_SIZE = 7
# The smallest header: a one-byte key length and a one-byte value length.
MIN_HEADER_SIZE = 2
_INT32 = struct.Struct(">i")

_new_record = cast(Callable[[type[Record], tuple[object, ...]], Record], tuple.__new__)


def decode_batch(
    buf: Buffer,
    pos: int = 0,
    *,
    check_crc: bool = True,
    max_decompressed: int = DEFAULT_MAX_DECOMPRESSED,
) -> tuple[BatchHeader, list[Record]]:
    """Validate and decode the batch at `pos`: its header and its records (decompressed)."""
    header = validate_batch(buf, pos, check_crc=check_crc)
    start = pos + HEADER_SIZE
    end = pos + header.size
    codec = header.codec
    if codec != CODEC_NONE:
        data = decompress(codec, memoryview(buf)[start:end], max_size=max_decompressed)
        start, end = 0, len(data)
    elif type(buf) is bytes:
        data = buf
    else:
        data = bytes(memoryview(buf)[start:end])
        start, end = 0, len(data)
    count = header.records_count
    if count * MIN_RECORD_SIZE > end - start:
        raise CorruptRecord(
            f"batch at byte {pos} declares {count} records in {end - start} bytes of records"
        )
    if header.is_log_append_time:
        timestamp_type = TIMESTAMP_LOG_APPEND_TIME
        append_time: int | None = header.max_timestamp
    else:
        timestamp_type = TIMESTAMP_CREATE_TIME
        append_time = None
    try:
        records = _decode_records(
            data,
            start,
            end,
            count,
            base_offset=header.base_offset,
            base_timestamp=header.base_timestamp,
            append_time=append_time,
            timestamp_type=timestamp_type,
            leader_epoch=header.partition_leader_epoch,
        )
    except CorruptRecord as exc:
        raise CorruptRecord(f"batch at byte {pos}: {exc.message}") from None
    return header, records


def iter_records(
    buf: Buffer,
    *,
    min_offset: int = 0,
    check_crc: bool = True,
    max_decompressed: int = DEFAULT_MAX_DECOMPRESSED,
) -> Iterator[Record]:
    """The records of a fetch answer: batches back to back, the first of which may start
    before `min_offset` (its earlier records are skipped) and the last of which may be cut
    short by the fetch size (it is dropped). Control batches are skipped."""
    pos = 0
    size = len(buf)
    while size - pos >= LOG_OVERHEAD:
        (length,) = _INT32.unpack_from(buf, pos + 8)
        if length >= MIN_BATCH_LENGTH:
            if pos + LOG_OVERHEAD + length > size:
                return  # the partial trailing batch of a fetch cut by its size limit
            if parse_header(buf, pos).last_offset < min_offset:
                pos += LOG_OVERHEAD + length  # wholly before min_offset: not even decoded
                continue
        header, records = decode_batch(
            buf, pos, check_crc=check_crc, max_decompressed=max_decompressed
        )
        pos += header.size
        if header.is_control:
            continue
        if records and records[0].offset < min_offset:
            yield from (record for record in records if record.offset >= min_offset)
        else:
            yield from records


def _decode_records(
    data: bytes,
    pos: int,
    limit: int,
    count: int,
    *,
    base_offset: int,
    base_timestamp: int,
    append_time: int | None,
    timestamp_type: int,
    leader_epoch: int,
) -> list[Record]:
    records: list[Record] = []
    add = records.append
    new = _new_record
    record_class = Record
    varint = read_varint
    unsigned = read_unsigned
    try:
        for _ in range(count):
            byte = data[pos]
            if byte < 0x80:
                pos += 1
            elif data[pos + 1] < 0x80:
                byte = (byte & 0x7F) | (data[pos + 1] << 7)
                pos += 2
            else:
                byte, pos = unsigned(data, pos, MAX_VARINT_BYTES)
            length = (byte >> 1) ^ -(byte & 1)
            end = pos + length
            if length < 6 or end > limit:
                raise CorruptRecord(f"record at byte {pos} has length {length}")
            pos += 1  # attributes: unused
            byte = data[pos]
            if byte < 0x80:
                pos += 1
            elif data[pos + 1] < 0x80:
                byte = (byte & 0x7F) | (data[pos + 1] << 7)
                pos += 2
            else:
                byte, pos = unsigned(data, pos, MAX_VARLONG_BYTES)
            timestamp_delta = (byte >> 1) ^ -(byte & 1)
            byte = data[pos]
            if byte < 0x80:
                pos += 1
            elif data[pos + 1] < 0x80:
                byte = (byte & 0x7F) | (data[pos + 1] << 7)
                pos += 2
            else:
                byte, pos = unsigned(data, pos, MAX_VARINT_BYTES)
            offset_delta = (byte >> 1) ^ -(byte & 1)
            byte = data[pos]
            if byte < 0x80:
                size = (byte >> 1) ^ -(byte & 1)
                pos += 1
            else:
                size, pos = varint(data, pos)
            if size >= 0:
                key: bytes | None = data[pos : pos + size]
                pos += size
            elif size == -1:
                key = None
            else:
                raise CorruptRecord(f"record at byte {pos} has key length {size}")
            byte = data[pos]
            if byte < 0x80:
                pos += 1
            elif data[pos + 1] < 0x80:
                byte = (byte & 0x7F) | (data[pos + 1] << 7)
                pos += 2
            else:
                byte, pos = unsigned(data, pos, MAX_VARINT_BYTES)
            size = (byte >> 1) ^ -(byte & 1)
            if size >= 0:
                value: bytes | None = data[pos : pos + size]
                pos += size
            elif size == -1:
                value = None
            else:
                raise CorruptRecord(f"record at byte {pos} has value length {size}")
            byte = data[pos]
            if byte == 0:
                headers: Headers = ()
                pos += 1
            else:
                headers, pos = _decode_headers(data, pos, end)
            if pos != end:
                raise CorruptRecord(
                    f"record ending at byte {pos} declared {length} bytes, ending at byte {end}"
                )
            add(
                new(
                    record_class,
                    (
                        base_offset + offset_delta,
                        base_timestamp + timestamp_delta if append_time is None else append_time,
                        key,
                        value,
                        headers,
                        timestamp_type,
                        leader_epoch,
                    ),
                )
            )
    except IndexError:
        raise CorruptRecord(f"record at byte {pos} runs past the end of the batch") from None
    if pos != limit:
        raise CorruptRecord(f"{limit - pos} bytes follow the last of {count} records")
    return records


def _decode_headers(data: bytes, pos: int, end: int) -> tuple[Headers, int]:
    count, pos = read_varint(data, pos)
    if count < 0 or count * MIN_HEADER_SIZE > end - pos:
        raise CorruptRecord(f"record header count {count} at byte {pos} does not fit the record")
    headers: list[Header] = []
    for _ in range(count):
        size, pos = read_varint(data, pos)
        if size < 0 or pos + size > end:
            raise CorruptRecord(f"record header key at byte {pos} has length {size}")
        # Java decodes header keys leniently (malformed UTF-8 becomes U+FFFD); so do we.
        name = data[pos : pos + size].decode("utf-8", "replace")
        pos += size
        size, pos = read_varint(data, pos)
        if size == -1:
            headers.append((name, None))
        elif size >= 0 and pos + size <= end:
            headers.append((name, data[pos : pos + size]))
            pos += size
        else:
            raise CorruptRecord(f"record header value at byte {pos} has length {size}")
    return tuple(headers), pos
