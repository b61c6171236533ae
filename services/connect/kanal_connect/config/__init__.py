"""Kafka's ConfigDef machinery: typed keys, validators, and the REST validation shape."""

from kanal_connect.config.definition import (
    NO_DEFAULT,
    ConfigDef,
    ConfigKey,
    ConfigType,
    ConfigValueError,
    Importance,
    Width,
    parse_key,
    parse_type,
    render,
)

__all__ = [
    "NO_DEFAULT",
    "ConfigDef",
    "ConfigKey",
    "ConfigType",
    "ConfigValueError",
    "Importance",
    "Width",
    "parse_key",
    "parse_type",
    "render",
]
