"""Kafka's predicates: TopicNameMatches, HasHeaderKey and RecordIsTombstone."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from kanal_connect.config.definition import (
    NO_DEFAULT,
    ConfigDef,
    ConfigType,
    ConfigValueError,
    Importance,
)
from kanal_connect.data.record import ConnectRecord
from kanal_connect.java_regex import compile_java


@runtime_checkable
class Predicate(Protocol):
    def configure(self, configs: Mapping[str, object]) -> None: ...

    def test(self, record: ConnectRecord) -> bool: ...

    def config_def(self) -> ConfigDef: ...


def _pattern(_name: str, value: object) -> None:
    text = str(value) if value is not None else ""
    if not text:
        raise ConfigValueError("String must be non-empty")
    try:
        compile_java(text)
    except re.error as error:
        raise ConfigValueError(f"Invalid regex: {error}") from None


def topic_name_matches_config_def() -> ConfigDef:
    return ConfigDef().define(
        "pattern",
        ConfigType.STRING,
        NO_DEFAULT,
        Importance.MEDIUM,
        "A Java regular expression for matching against the name of a record's topic.",
        validator=_pattern,
    )


class TopicNameMatches:
    """True when the whole topic name matches `pattern` (Java's `Matcher.matches`)."""

    def __init__(self) -> None:
        self.pattern = re.compile("")

    def config_def(self) -> ConfigDef:
        return topic_name_matches_config_def()

    def configure(self, configs: Mapping[str, object]) -> None:
        self.pattern = compile_java(str(topic_name_matches_config_def().parse(configs)["pattern"]))

    def test(self, record: ConnectRecord) -> bool:
        return record.topic is not None and self.pattern.fullmatch(record.topic) is not None


def has_header_key_config_def() -> ConfigDef:
    def non_empty(_name: str, value: object) -> None:
        if not value:
            raise ConfigValueError("String must be non-empty")

    return ConfigDef().define(
        "name",
        ConfigType.STRING,
        NO_DEFAULT,
        Importance.MEDIUM,
        "The header name.",
        validator=non_empty,
    )


class HasHeaderKey:
    def __init__(self) -> None:
        self.name = ""

    def config_def(self) -> ConfigDef:
        return has_header_key_config_def()

    def configure(self, configs: Mapping[str, object]) -> None:
        self.name = str(has_header_key_config_def().parse(configs)["name"])

    def test(self, record: ConnectRecord) -> bool:
        return any(header.key == self.name for header in record.headers)


class RecordIsTombstone:
    def config_def(self) -> ConfigDef:
        return ConfigDef()

    def configure(self, configs: Mapping[str, object]) -> None:
        ConfigDef().parse(configs)

    def test(self, record: ConnectRecord) -> bool:
        return record.value is None
