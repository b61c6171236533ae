"""Kafka's StringConverter and ByteArrayConverter."""

from __future__ import annotations

import codecs
from collections.abc import Mapping

from kanal_connect.config.definition import ConfigDef, ConfigType, Importance
from kanal_connect.converters.base import CONVERTER_TYPE_CONFIG, SchemaAndValue
from kanal_connect.data.schema import OPTIONAL_BYTES, OPTIONAL_STRING, Schema, SchemaType
from kanal_connect.errors import DataException, InvalidConnectorConfig
from kanal_connect.java_text import java_double

ENCODING_CONFIG = "converter.encoding"


def _java_to_string(value: object) -> str:
    """`Object.toString()` for the values Connect carries."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double(value)
    return str(value)


class StringConverter:
    """`org.apache.kafka.connect.storage.StringConverter`: values as text, schema
    OPTIONAL_STRING; undecodable bytes become U+FFFD as Java's `new String(bytes, UTF_8)`."""

    def __init__(self) -> None:
        self.encoding = "UTF8"

    def config_def(self) -> ConfigDef:
        return (
            ConfigDef()
            .define(
                ENCODING_CONFIG,
                ConfigType.STRING,
                "UTF8",
                Importance.HIGH,
                "The name of the Java character set to use for encoding strings as byte arrays.",
            )
            .define(
                CONVERTER_TYPE_CONFIG,
                ConfigType.STRING,
                None,
                Importance.LOW,
                "How this converter will be used.",
            )
        )

    def configure(self, configs: Mapping[str, object], is_key: bool) -> None:
        parsed = self.config_def().parse(configs)
        encoding = str(parsed[ENCODING_CONFIG])
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InvalidConnectorConfig.for_value(
                ENCODING_CONFIG, encoding, "Unknown encoding"
            ) from None
        self.encoding = encoding

    def from_connect(self, topic: str, schema: Schema | None, value: object) -> bytes | None:
        if value is None:
            return None
        try:
            return _java_to_string(value).encode(self.encoding)
        except UnicodeEncodeError as error:
            raise DataException(f"Failed to serialize to a string: {error}") from None

    def to_connect(self, topic: str, data: bytes | None) -> SchemaAndValue:
        if data is None:
            return SchemaAndValue(OPTIONAL_STRING, None)
        return SchemaAndValue(OPTIONAL_STRING, data.decode(self.encoding, errors="replace"))


class ByteArrayConverter:
    """`org.apache.kafka.connect.converters.ByteArrayConverter`: bytes pass through."""

    def config_def(self) -> ConfigDef:
        return ConfigDef().define(
            CONVERTER_TYPE_CONFIG,
            ConfigType.STRING,
            None,
            Importance.LOW,
            "How this converter will be used.",
        )

    def configure(self, configs: Mapping[str, object], is_key: bool) -> None:
        self.config_def().parse(configs)

    def from_connect(self, topic: str, schema: Schema | None, value: object) -> bytes | None:
        if schema is not None and schema.type is not SchemaType.BYTES:
            raise DataException(f"Invalid schema type for ByteArrayConverter: {schema.type.name}")
        if value is None:
            return None
        if not isinstance(value, bytes | bytearray):
            raise DataException(
                f"ByteArrayConverter is not compatible with objects of type {type(value).__name__}"
            )
        return bytes(value)

    def to_connect(self, topic: str, data: bytes | None) -> SchemaAndValue:
        return SchemaAndValue(OPTIONAL_BYTES, data)
