"""Kafka RecordBatch v2: header and framing (`header`), encoding (`builder`), decoding
(`reader`), compression codecs (`compression`), varints (`varint`) and the decoded `Record`."""

from kanal.records.builder import BatchBuilder
from kanal.records.compression import codec_from_name
from kanal.records.header import BatchHeader, validate_batch
from kanal.records.reader import decode_batch, iter_records
from kanal.records.record import TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME, Record

__all__ = [
    "TIMESTAMP_CREATE_TIME",
    "TIMESTAMP_LOG_APPEND_TIME",
    "BatchBuilder",
    "BatchHeader",
    "Record",
    "codec_from_name",
    "decode_batch",
    "iter_records",
    "validate_batch",
]
