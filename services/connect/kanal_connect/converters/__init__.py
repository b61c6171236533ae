"""Converters: Kafka's JsonConverter, StringConverter and ByteArrayConverter, by class name."""

from __future__ import annotations

from collections.abc import Callable

from kanal_connect.converters.base import Converter, SchemaAndValue
from kanal_connect.converters.json_converter import JsonConverter
from kanal_connect.converters.simple import ByteArrayConverter, StringConverter
from kanal_connect.errors import InvalidConnectorConfig

CONVERTERS: dict[str, Callable[[], Converter]] = {
    "org.apache.kafka.connect.json.JsonConverter": JsonConverter,
    "org.apache.kafka.connect.storage.StringConverter": StringConverter,
    "org.apache.kafka.connect.converters.ByteArrayConverter": ByteArrayConverter,
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
    "ByteArrayConverter",
    "Converter",
    "JsonConverter",
    "SchemaAndValue",
    "StringConverter",
    "converter_for",
]
