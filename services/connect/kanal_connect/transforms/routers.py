"""RegexRouter and TimestampRouter: rewrite the record's topic."""

from __future__ import annotations

import re
from collections.abc import Mapping

from kanal_connect.config.definition import NO_DEFAULT, ConfigDef, ConfigType, Importance
from kanal_connect.config.validators import regex
from kanal_connect.data import logical
from kanal_connect.errors import DataException
from kanal_connect.java_regex import compile_java
from kanal_connect.transforms.base import R
from kanal_connect.transforms.java_date_format import JavaDateFormat

_JAVA_GROUP = re.compile(r"\\(.)|\$(\d+)|\$\{(\w+)\}|(\\)", re.DOTALL)


def java_replacement(replacement: str) -> str:
    """A `Matcher.replaceFirst` replacement ($1, ${name}, backslash escapes) as a Python
    `re.sub` template."""

    def translate(match: re.Match[str]) -> str:
        escaped, number, name, lone_backslash = match.groups()
        if escaped is not None:
            return "\\\\" if escaped == "\\" else escaped
        if lone_backslash is not None:
            raise DataException("character to be escaped is missing")
        return f"\\g<{number if number is not None else name}>"

    return _JAVA_GROUP.sub(translate, replacement)


def regex_router_config_def() -> ConfigDef:
    return (
        ConfigDef()
        .define(
            "regex",
            ConfigType.STRING,
            NO_DEFAULT,
            Importance.HIGH,
            "Regular expression to use for matching.",
            validator=regex,
        )
        .define(
            "replacement", ConfigType.STRING, NO_DEFAULT, Importance.HIGH, "Replacement string."
        )
    )


class RegexRouter:
    """The topic is rewritten only when the regex matches all of it."""

    def __init__(self) -> None:
        self.regex = re.compile("")
        self.replacement = ""

    def config_def(self) -> ConfigDef:
        return regex_router_config_def()

    def configure(self, configs: Mapping[str, object]) -> None:
        parsed = regex_router_config_def().parse(configs)
        self.regex = compile_java(str(parsed["regex"]))
        self.replacement = java_replacement(str(parsed["replacement"]))

    def apply(self, record: R) -> R | None:
        if self.regex.fullmatch(record.topic) is None:
            return record
        try:
            topic = self.regex.sub(self.replacement, record.topic, count=1)
        except (re.error, IndexError) as error:
            raise DataException(f"RegexRouter replacement failed: {error}") from None
        return record.new_record(topic=topic)


def timestamp_router_config_def() -> ConfigDef:
    return (
        ConfigDef()
        .define(
            "topic.format",
            ConfigType.STRING,
            "${topic}-${timestamp}",
            Importance.HIGH,
            "Format string which can contain <code>${topic}</code> and <code>${timestamp}"
            "</code> as placeholders for the topic and timestamp, respectively.",
        )
        .define(
            "timestamp.format",
            ConfigType.STRING,
            "yyyyMMdd",
            Importance.HIGH,
            "Format string for the timestamp that is compatible with "
            "<code>java.text.SimpleDateFormat</code>.",
        )
    )


class TimestampRouter:
    def __init__(self) -> None:
        self.topic_format = "${topic}-${timestamp}"
        self.timestamp_format = JavaDateFormat("yyyyMMdd")

    def config_def(self) -> ConfigDef:
        return timestamp_router_config_def()

    def configure(self, configs: Mapping[str, object]) -> None:
        from kanal_connect.errors import InvalidConnectorConfig

        parsed = timestamp_router_config_def().parse(configs)
        self.topic_format = str(parsed["topic.format"])
        try:
            self.timestamp_format = JavaDateFormat(str(parsed["timestamp.format"]))
        except ValueError as error:
            raise InvalidConnectorConfig.for_value(
                "timestamp.format", parsed["timestamp.format"], str(error)
            ) from None

    def apply(self, record: R) -> R | None:
        if record.timestamp is None:
            raise DataException(f"Timestamp missing on record: {record}")
        stamp = self.timestamp_format.format(logical.timestamp_from_millis(record.timestamp))
        topic = self.topic_format.replace("${topic}", record.topic).replace("${timestamp}", stamp)
        return record.new_record(topic=topic)
