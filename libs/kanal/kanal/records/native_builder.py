"""The producer's batch encoders: aiokafka's compiled (Cython) RecordBatch v2 builder for
uncompressed batches, our BatchBuilder behind the same interface for compressed ones.

The producer appends every record it sends, so the per-record cost of encoding bounds its
throughput: `BatchBuilder.append` costs about 0.7 us in Python, aiokafka's compiled `append`
about 0.2 us, and it reads the clock itself when given no timestamp (a Python
`time.time_ns() // 1_000_000` costs another 0.1 us). aiokafka is already a core dependency
for its compiled decoder (kanal.client.batch_decoding). For an uncompressed batch it writes
the same bytes as ours (same layout, base timestamp = the first record's, base offset 0,
partition leader epoch -1, CRC-32C over attributes..end): tests/records/test_native_builder.py
checks byte equality for any records and size limit.

`append_record` is the raw, per-record call: the caller passes the offset delta (the number
of records appended so far), a timestamp already checked with `check_timestamp` (None: now),
and headers as a list of (str, bytes | None) (`header_list`). It returns the appended
record's metadata (`.timestamp`), or None, the batch unchanged, when the record would push
the batch past `max_bytes` (the first record is always taken). A key, value or header of
the wrong type raises TypeError and leaves the batch unchanged.

`build()` is cheap for the native encoder, but aiokafka computes the batch CRC with the GIL
released: a thread that builds while another one runs Python waits for the GIL to come back,
up to the interpreter's switch interval (5 ms). So the producer builds a full batch in the
thread that filled it (`eager_build`), rather than in its sender's thread where each build
behind a busy caller cost that wait. The bytes are built once; setting the producer state
afterwards rewrites those header fields and signs the batch again (CRC-32C with the GIL held).
"""

from __future__ import annotations

import struct
import time
from typing import ClassVar, NamedTuple, Protocol

import crc32c
from aiokafka.record._crecords import DefaultRecordBatchBuilder

from kanal.errors import InvalidTimestamp
from kanal.records.builder import MAX_TIMESTAMP, BatchBuilder, InputHeaders
from kanal.records.header import CODEC_NONE, CRC_START, MAGIC, NO_PRODUCER_ID, NO_SEQUENCE

HeaderList = list[tuple[str, bytes | None]]

# producer_id int64, producer_epoch int16, base_sequence int32 at byte 43 of the header; the
# CRC (uint32) at byte 17 covers them (kanal.records.header draws the layout).
_PRODUCER_STATE = struct.Struct(">qhi")
_PRODUCER_STATE_AT = 43
_CRC = struct.Struct(">I")
_CRC_AT = 17

NO_HEADERS: HeaderList = []
"""The headers of a record without any (shared: encoders only read it)."""


class AppendedRecord(Protocol):
    @property
    def timestamp(self) -> int: ...


class RecordBatchEncoder(Protocol):
    """A producer batch under construction (see the module doc for `append_record`)."""

    eager_build: ClassVar[bool]
    """Whether a full batch is best built at once by the thread that filled it (cheap, and
    no compression to hold that thread up)."""

    @property
    def estimated_size(self) -> int: ...

    def append_record(
        self, offset_delta: int, timestamp_ms: int | None, key: bytes | None,
        value: bytes | None, headers: HeaderList,
    ) -> AppendedRecord | None: ...

    def set_producer_state(
        self, *, producer_id: int, producer_epoch: int, base_sequence: int, transactional: bool
    ) -> None: ...

    def build(self) -> bytes | bytearray: ...


def new_batch_encoder(codec: int, max_bytes: int) -> RecordBatchEncoder:
    """The fastest encoder for a producer batch of `codec`, bounded by `max_bytes`."""
    if codec == CODEC_NONE:
        return NativeBatchEncoder(max_bytes)
    return PythonBatchEncoder(BatchBuilder(codec=codec, max_bytes=max_bytes))


def check_timestamp(timestamp_ms: int) -> None:
    if not 0 <= timestamp_ms <= MAX_TIMESTAMP:
        raise InvalidTimestamp(f"timestamp {timestamp_ms} is not in 0 .. 2**63-1")


def header_list(headers: InputHeaders) -> HeaderList:
    """Headers as the encoders take them: a list, values bytes or None (BatchBuilder also
    takes other bytes-like values, aiokafka only bytes)."""
    return [
        (name, data if data is None or type(data) is bytes else bytes(data))
        for name, data in headers
    ]


class NativeBatchEncoder:
    """An uncompressed, non-transactional batch encoded by aiokafka's compiled builder.
    `build()` returns it with base offset 0 and partition leader epoch -1 (the broker
    rewrites both); nothing may be appended after."""

    __slots__ = ("_builder", "_built", "append_record", "max_bytes")

    eager_build: ClassVar[bool] = True

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        # aiokafka refuses a record when the batch would *reach* its limit: one byte more
        # makes it refuse only past max_bytes, as BatchBuilder does.
        self._builder = DefaultRecordBatchBuilder(
            MAGIC, CODEC_NONE, False, NO_PRODUCER_ID, -1, NO_SEQUENCE, max_bytes + 1
        )
        # The compiled method itself: a Python wrapper would cost as much as the encoding.
        self.append_record = self._builder.append
        self._built: bytearray | None = None

    @property
    def estimated_size(self) -> int:
        """Bytes of the batch if built now (header included)."""
        size: int = self._builder.size()
        return size

    def set_producer_state(
        self, *, producer_id: int, producer_epoch: int, base_sequence: int, transactional: bool
    ) -> None:
        """Set the idempotence fields, before or after `build()`."""
        if transactional:
            raise ValueError("NativeBatchEncoder builds non-transactional batches only")
        self._builder.set_producer_state(producer_id, producer_epoch, base_sequence)
        built = self._built
        if built is not None:
            _PRODUCER_STATE.pack_into(
                built, _PRODUCER_STATE_AT, producer_id, producer_epoch, base_sequence
            )
            # gil_release_mode=0: a released GIL costs more than the CRC (see the module doc).
            crc = crc32c.crc32c(memoryview(built)[CRC_START:], gil_release_mode=0)
            _CRC.pack_into(built, _CRC_AT, crc)

    def build(self) -> bytearray:
        """The batch bytes: header with CRC-32C, then the records (built once)."""
        built = self._built
        if built is None:
            built = self._built = self._builder.build()
        return built


class Appended(NamedTuple):
    timestamp: int


class PythonBatchEncoder:
    """BatchBuilder (any codec) behind `append_record`."""

    __slots__ = ("builder",)

    # Compression belongs to the sender's thread, not to the one calling send().
    eager_build: ClassVar[bool] = False

    def __init__(self, builder: BatchBuilder) -> None:
        self.builder = builder

    @property
    def estimated_size(self) -> int:
        return self.builder.estimated_size

    def append_record(
        self, offset_delta: int, timestamp_ms: int | None, key: bytes | None,
        value: bytes | None, headers: HeaderList,
    ) -> Appended | None:
        if offset_delta != self.builder.record_count:
            raise ValueError(f"offset delta {offset_delta} != {self.builder.record_count}")
        if timestamp_ms is None:
            timestamp_ms = time.time_ns() // 1_000_000
        if self.builder.append(timestamp_ms, key, value, headers) is None:
            return None
        return Appended(timestamp_ms)

    def set_producer_state(
        self, *, producer_id: int, producer_epoch: int, base_sequence: int, transactional: bool
    ) -> None:
        self.builder.set_producer_state(producer_id=producer_id, producer_epoch=producer_epoch,
                                        base_sequence=base_sequence, transactional=transactional)

    def build(self) -> bytes:
        return self.builder.build()
