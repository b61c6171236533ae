"""Kafka RecordBatch v2: header and framing (`header`), encoding (`builder`), decoding
(`reader`), compression codecs (`compression`) and varints (`varint`)."""
