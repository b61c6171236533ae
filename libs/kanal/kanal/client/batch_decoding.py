"""Turning one fetched batch into ConsumerRecords: the consumer's hot loop.

Parsing records in pure Python costs about 1 µs each, more than everything else a consumer
does per record. aiokafka ships a compiled (Cython) decoder for Kafka's RecordBatch v2, the
format we store, so uncompressed batches (the common case) are parsed by it: about five times
faster. Our own codec stays the reference: it validates every batch header and CRC first
(aiokafka's decoder is only trusted with bytes that passed), and it decodes compressed batches
(its codecs are ours, cramjam, not aiokafka's optional ones).

A corrupt record surfaces as our CorruptRecord either way, never as aiokafka's exception.
One known difference: aiokafka reads a record's attributes byte (unused, always 0 from any
Kafka client) as a varint, so a hand-made record with that byte >= 0x80 is refused as corrupt
or, rarely, misread within its own batch; a first or last offset outside the batch is always
refused, so no batch can make a consumer skip the records after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

from aiokafka.errors import CorruptRecordException
from aiokafka.record.default_records import DefaultRecordBatch

from kanal.client.config import Deserializer
from kanal.client.records import ConsumerRecord
from kanal.errors import CorruptRecord
from kanal.records.header import CODEC_NONE, BatchHeader, validate_batch
from kanal.records.reader import decode_batch
from kanal.types import TopicPartition

_new_record = cast(
    Callable[[type[ConsumerRecord], tuple[object, ...]], ConsumerRecord], tuple.__new__
)


def decode_for_consumer(
    tp: TopicPartition,
    buf: bytes,
    pos: int,
    kd: Deserializer | None,
    vd: Deserializer | None,
) -> tuple[BatchHeader, list[ConsumerRecord]]:
    """The batch at `pos`, validated, and its records as ConsumerRecords (deserialized);
    none for a control batch (transaction markers are not user records)."""
    header = validate_batch(buf, pos)
    if header.is_control:
        return header, []
    if header.codec != CODEC_NONE:
        converted = _decode_with_reference(tp, buf, pos, kd, vd)
    else:
        try:
            parsed: Iterable[Any] = DefaultRecordBatch(memoryview(buf)[pos : pos + header.size])
            converted = _convert(tp, parsed, kd, vd)
        except CorruptRecordException as exc:
            raise CorruptRecord(f"batch at byte {pos}: {exc}") from None
        except UnicodeDecodeError:
            # aiokafka refuses a header key that is not UTF-8; Kafka's Java client (and our
            # codec) decode it leniently, so such a rare batch takes the reference path.
            converted = _decode_with_reference(tp, buf, pos, kd, vd)
    if len(converted) != header.records_count:
        raise CorruptRecord(
            f"batch at byte {pos} declares {header.records_count} records, "
            f"holds {len(converted)}"
        )
    if converted and (converted[0].offset < header.base_offset
                      or converted[-1].offset > header.last_offset):
        # The position advances past the last record handed out: an offset beyond the batch
        # would make the consumer skip the batches after it.
        raise CorruptRecord(f"batch at byte {pos} holds offsets outside its declared range")
    return header, converted


def _decode_with_reference(
    tp: TopicPartition, buf: bytes, pos: int, kd: Deserializer | None, vd: Deserializer | None
) -> list[ConsumerRecord]:
    _, records = decode_batch(buf, pos, check_crc=False)
    return _convert(tp, records, kd, vd)


def _convert(
    tp: TopicPartition, records: Iterable[Any], kd: Deserializer | None, vd: Deserializer | None
) -> list[ConsumerRecord]:
    """ConsumerRecords from our Records or aiokafka's DefaultRecords (same attribute names)."""
    topic, partition = tp
    new, cls = _new_record, ConsumerRecord
    if kd is None and vd is None:
        return [
            new(cls, (topic, partition, r.offset, r.timestamp, r.timestamp_type, key, value,
                      r.headers, -1 if key is None else len(key),
                      -1 if value is None else len(value)))
            for r in records
            for key, value in ((r.key, r.value),)
        ]
    return [
        new(cls, (topic, partition, r.offset, r.timestamp, r.timestamp_type,
                  key if kd is None or key is None else kd(key),
                  value if vd is None or value is None else vd(value),
                  r.headers, -1 if key is None else len(key),
                  -1 if value is None else len(value)))
        for r in records
        for key, value in ((r.key, r.value),)
    ]
