"""Confluent's wire format: the header every schema-registry-aware record value starts with.

    byte 0       magic byte, always 0
    bytes 1..4   schema id, unsigned 32-bit big-endian (the registry's global id)
    Protobuf only: the message indexes, zigzag varints: a count n, then n indexes giving the
                 path to the message type inside the .proto file (the first top-level
                 message is [0], its second nested message [0, 1], ...). The common path
                 [0] is shortened to the single count byte 0 (n = 0 means [0]).
    then         the payload: Avro binary, JSON text, or the Protobuf message bytes

Confluent's Java, Go and Python serdes read and write exactly this, so a record written by one
is read by any other that reaches the same registry.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from kanal.errors import CorruptRecord, SerializationError
from kanal.records.varint import encode_varint, read_varint
from kanal.serde.schema_types import SchemaId

MAGIC_BYTE = 0
HEADER_SIZE = 5
MAX_SCHEMA_ID = 0xFFFFFFFF
# A path deeper than this is not a message nesting anyone writes; it is garbage in the bytes.
MAX_MESSAGE_INDEXES = 64

_HEADER = struct.Struct(">bI")
_FIRST_MESSAGE = b"\x00"


def write_header(schema_id: SchemaId) -> bytes:
    """The magic byte and the schema id."""
    if not 0 <= schema_id <= MAX_SCHEMA_ID:
        raise SerializationError(f"schema id {schema_id} does not fit 4 unsigned bytes")
    return _HEADER.pack(MAGIC_BYTE, schema_id)


def read_header(data: bytes | bytearray | memoryview) -> SchemaId:
    """The schema id of framed bytes; the payload starts at HEADER_SIZE."""
    if len(data) < HEADER_SIZE:
        raise SerializationError(
            f"{len(data)} bytes are too short for the schema registry framing "
            f"(magic byte and 4-byte schema id)"
        )
    magic, schema_id = _HEADER.unpack_from(data)
    if magic != MAGIC_BYTE:
        raise SerializationError(
            f"unknown magic byte {magic & 0xFF}: these bytes were not written by a schema "
            f"registry serializer"
        )
    return SchemaId(schema_id)


def encode_message_indexes(indexes: Sequence[int]) -> bytes:
    """The Protobuf message-index path, with [0] shortened to a single 0 byte."""
    if list(indexes) == [0] or not indexes:
        return _FIRST_MESSAGE
    if any(index < 0 for index in indexes):
        raise SerializationError(f"message indexes must not be negative: {list(indexes)}")
    return encode_varint(len(indexes)) + b"".join(encode_varint(i) for i in indexes)


def decode_message_indexes(
    data: bytes | bytearray | memoryview, position: int
) -> tuple[list[int], int]:
    """The message-index path at `position`, and the position of the Protobuf payload."""
    try:
        count, position = read_varint(data, position)
        if count == 0:
            return [0], position
        if not 0 < count <= MAX_MESSAGE_INDEXES:
            raise SerializationError(f"invalid message index count {count}")
        indexes = []
        for _ in range(count):
            index, position = read_varint(data, position)
            if index < 0:
                raise SerializationError(f"invalid (negative) message index {index}")
            indexes.append(index)
    except CorruptRecord as error:
        raise SerializationError(f"message indexes: {error.message}") from None
    return indexes, position
