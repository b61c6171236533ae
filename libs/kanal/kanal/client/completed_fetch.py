"""Fetched bytes of one partition, decoded into ConsumerRecords a batch at a time as poll()
asks for them.

Decoding is the consumer's hot loop: each batch is decoded whole into ConsumerRecords
(batch_decoding), and poll() takes slices of that list. No generator sits between records,
and a batch nobody asks for is never decoded.
"""

from __future__ import annotations

import struct

from kanal.client.batch_decoding import decode_for_consumer
from kanal.client.config import Deserializer
from kanal.client.records import ConsumerRecord
from kanal.records.header import LOG_OVERHEAD, MIN_BATCH_LENGTH, parse_header
from kanal.types import TopicPartition

_LENGTH = struct.Struct(">i")


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
            batch = self._decode_next(min_offset, key_deserializer, value_deserializer)
            if batch is None:
                break
            self._decoded = batch
            self._next = 0
        return out

    def _decode_next(
        self, min_offset: int, kd: Deserializer | None, vd: Deserializer | None
    ) -> list[ConsumerRecord] | None:
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
            header, records = decode_for_consumer(self.tp, buf, pos, kd, vd)
            if header.is_control or not records:
                continue
            if records[0].offset < min_offset:
                records = [r for r in records if r.offset >= min_offset]
            return records
        return None

