"""One record through a registry converter, preparing it first as the task loops do."""

from __future__ import annotations

from confluent_kafka.serialization import MessageField, SerializationContext
from kanal_connect.converters.base import PreparingConverter, SchemaAndValue
from kanal_connect.data import Schema


def context(topic: str) -> SerializationContext:
    """confluent-kafka's context for a record value of `topic`."""
    return SerializationContext(topic, MessageField.VALUE)


async def write(converter: PreparingConverter, topic: str, schema: Schema, value: object) -> bytes:
    await converter.prepare_from_connect(topic, [schema])
    data = converter.from_connect(topic, schema, value)
    assert data is not None
    return data


async def read(converter: PreparingConverter, topic: str, data: bytes) -> SchemaAndValue:
    await converter.prepare_to_connect(topic, [data])
    return converter.to_connect(topic, data)
