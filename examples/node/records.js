// Decoding Kafka's RecordBatch v2, the bytes a Kanal Fetch returns as they were stored.
//
// Batch header (61 bytes, big-endian):
//   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 (= 2)
//   | crc uint32 | attributes int16 | lastOffsetDelta int32 | baseTimestamp int64
//   | maxTimestamp int64 | producerId int64 | producerEpoch int16 | baseSequence int32
//   | recordCount int32
// then recordCount records, each:
//   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
//   | keyLength varint (-1: null) | key | valueLength varint (-1: null) | value
//   | headerCount varint | headers (keyLength varint, key, valueLength varint, value)
// Varints are zigzag-encoded (protobuf's sint). Attributes: bits 0-2 the codec (this
// example reads uncompressed batches only), bit 5 a control batch (transaction markers,
// skipped). The last batch of an answer may be cut short: it is dropped.

'use strict';

const HEADER_BYTES = 61;
const LENGTH_PREFIX = 12; // baseOffset + batchLength

class Reader {
  constructor(buffer, at) {
    this.buffer = buffer;
    this.at = at;
  }

  varlong() {
    let raw = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.buffer[this.at++];
      raw |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7n;
    }
    return (raw >> 1n) ^ -(raw & 1n); // zigzag
  }

  varint() {
    return Number(this.varlong());
  }

  bytes() {
    const length = this.varint();
    if (length < 0) return null;
    const slice = this.buffer.subarray(this.at, this.at + length);
    this.at += length;
    return slice;
  }
}

// Every record of `buffer` at or after `minOffset`: {offset, timestamp, key, value, headers}.
function decodeRecords(buffer, minOffset) {
  const records = [];
  let at = 0;
  while (at + LENGTH_PREFIX <= buffer.length) {
    const baseOffset = buffer.readBigInt64BE(at);
    const batchLength = buffer.readInt32BE(at + 8);
    const end = at + LENGTH_PREFIX + batchLength;
    if (end > buffer.length) break; // a partial trailing batch
    const attributes = buffer.readInt16BE(at + 21);
    if ((attributes & 0x07) !== 0) {
      throw new Error('compressed batches are not supported by this example');
    }
    const baseTimestamp = buffer.readBigInt64BE(at + 27);
    const count = buffer.readInt32BE(at + 57);
    const control = (attributes & 0x20) !== 0;
    const reader = new Reader(buffer, at + HEADER_BYTES);
    for (let i = 0; i < count && !control; i++) {
      reader.varint(); // record length
      reader.at += 1; // record attributes
      const timestamp = baseTimestamp + reader.varlong();
      const offset = baseOffset + BigInt(reader.varint());
      const key = reader.bytes();
      const value = reader.bytes();
      const headers = [];
      for (let h = reader.varint(); h > 0; h--) {
        headers.push([reader.bytes(), reader.bytes()]);
      }
      if (offset >= minOffset) records.push({ offset, timestamp, key, value, headers });
    }
    at = end;
  }
  return records;
}

module.exports = { decodeRecords };
