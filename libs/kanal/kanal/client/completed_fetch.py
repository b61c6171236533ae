"""Fetched bytes of one partition, decoded into ConsumerRecords a batch at a time as poll()
asks for them.

Decoding is the consumer's hot loop: each batch is decoded whole by the codec (one list of
Records), then turned into ConsumerRecords by one list comprehension, and poll() takes slices
of that list. No generator sits between records, and a batch nobody asks for is never
decoded.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import cast

from kanal.client.config import Deserializer
from kanal.client.records import ConsumerRecord
from kanal.records.header import LOG_OVERHEAD, MIN_BATCH_LENGTH, parse_header
from kanal.records.reader import decode_batch
from kanal.records.record import Record
from kanal.types import TopicPartition

_LENGTH = struct.Struct(">i")
_new_record = cast(
    Callable[[type[ConsumerRecord], tuple[object, ...]], ConsumerRecord], tuple.__new__
)


class CompletedFetch:
    __slots__ = ("_decoded", "_next", "_pos", "generation", "records", "size", "tp")

    def __init__(self, tp: TopicPartition, generation: int, records: bytes) -> None:
        self.tp = tp
        self.generation = generation
        self.records = records
        self.size = len(records)
        self._pos = 0  # byte position of the next batch to decode
        self._decoded: list[ConsumerRecord] = []
        self._next = 0  # index of the next record of _decoded to hand out

    def take(
        self, limit: int, min_offset: int, key_deserializer: Deserializer | None,
        value_deserializer: Deserializer | None,
    ) -> list[ConsumerRecord]:
        """Up to `limit` records at or after `min_offset`; [] when this fetch is used up."""
        out: list[ConsumerRecord] = []
        while len(out) < limit:
            if self._next < len(self._decoded):
                end = self._next + limit - len(out)
                out += self._decoded[self._next:end]
                self._next = min(end, len(self._decoded))
                continue
            batch = self._decode_next(min_offset)
            if batch is None:
                break
            self._decoded = _convert(self.tp, batch, key_deserializer, value_deserializer)
            self._next = 0
        return out

    def _decode_next(self, min_offset: int) -> list[Record] | None:
        """The records of the next batch holding offsets >= min_offset (control batches and
        earlier batches skipped); None at the end or at a partial trailing batch."""
        buf = self.records
        while self.size - self._pos >= LOG_OVERHEAD:
            (length,) = _LENGTH.unpack_from(buf, self._pos + 8)
            end = self._pos + LOG_OVERHEAD + length
            if length < MIN_BATCH_LENGTH or end > self.size:
                return None  # cut short by the fetch size: the next fetch starts there
            pos, self._pos = self._pos, end
            if parse_header(buf, pos).last_offset < min_offset:
                continue
            header, records = decode_batch(buf, pos)
            if header.is_control or not records:
                continue
            if records[0].offset < min_offset:
                records = [r for r in records if r.offset >= min_offset]
            return records
        return None


def _convert(
    tp: TopicPartition, records: list[Record], kd: Deserializer | None, vd: Deserializer | None
) -> list[ConsumerRecord]:
    topic, partition = tp
    new, cls = _new_record, ConsumerRecord
    if kd is None and vd is None:
        return [
            new(cls, (topic, partition, offset, timestamp, timestamp_type, key, value, headers,
                      -1 if key is None else len(key), -1 if value is None else len(value)))
            for offset, timestamp, key, value, headers, timestamp_type, _ in records
        ]
    return [
        new(cls, (topic, partition, offset, timestamp, timestamp_type,
                  key if kd is None or key is None else kd(key),
                  value if vd is None or value is None else vd(value),
                  headers, -1 if key is None else len(key), -1 if value is None else len(value)))
        for offset, timestamp, key, value, headers, timestamp_type, _ in records
    ]
