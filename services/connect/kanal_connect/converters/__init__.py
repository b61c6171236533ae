"""Converters by class name: Kafka's JsonConverter, StringConverter and ByteArrayConverter, and
Confluent's registry-backed AvroConverter, JsonSchemaConverter and ProtobufConverter."""

from __future__ import annotations

from collections.abc import Callable

from kanal_connect.converters.avro_converter import AvroConverter
from kanal_connect.converters.base import Converter, PreparingConverter, SchemaAndValue
from kanal_connect.converters.json_converter import JsonConverter
from kanal_connect.converters.jsonschema_converter import JsonSchemaConverter
from kanal_connect.converters.protobuf_converter import ProtobufConverter
from kanal_connect.converters.simple import ByteArrayConverter, StringConverter
from kanal_connect.errors import InvalidConnectorConfig

CONVERTERS: dict[str, Callable[[], Converter]] = {
    "org.apache.kafka.connect.json.JsonConverter": JsonConverter,
    "org.apache.kafka.connect.storage.StringConverter": StringConverter,
    "org.apache.kafka.connect.converters.ByteArrayConverter": ByteArrayConverter,
    "io.confluent.connect.avro.AvroConverter": AvroConverter,
    "io.confluent.connect.json.JsonSchemaConverter": JsonSchemaConverter,
    "io.confluent.connect.protobuf.ProtobufConverter": ProtobufConverter,
}
CONVERTERS |= {name.rsplit(".", 1)[1]: factory for name, factory in list(CONVERTERS.items())}


def converter_for(class_name: str) -> Converter:
    """A new, unconfigured converter for Kafka's class name or its simple name."""
    factory = CONVERTERS.get(class_name.strip())
    if factory is None:
        raise InvalidConnectorConfig(f"Class {class_name} could not be found.")
    return factory()


__all__ = [
    "CONVERTERS",
    "AvroConverter",
    "ByteArrayConverter",
    "Converter",
    "JsonConverter",
    "JsonSchemaConverter",
    "PreparingConverter",
    "ProtobufConverter",
    "SchemaAndValue",
    "StringConverter",
    "converter_for",
]
