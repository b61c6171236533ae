"""Kafka's ConnectorConfig / SinkConnectorConfig keys, and the whole validation of a
connector config as `PUT /connector-plugins/{plugin}/config/validate` answers it: the common
keys, the transforms/predicates chain, then the connector's own `config_def()` and
`validate_extra`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from kanal_connect.chain_validation import validate_chain_config
from kanal_connect.config.definition import (
    NO_DEFAULT,
    ConfigDef,
    ConfigKey,
    ConfigType,
    ConfigValueError,
    Importance,
    Validator,
    Width,
    parse_key,
)
from kanal_connect.config.validation import ConfigResult, ValidationReport, raw_value
from kanal_connect.config.validators import non_empty_string, one_of
from kanal_connect.converters import CONVERTERS
from kanal_connect.errors import InvalidConnectorConfig
from kanal_connect.plugins import Plugin
from kanal_connect.runtime.client_overrides import override_errors

COMMON_GROUP = "Common"
ERROR_GROUP = "Error Handling"
JSON_CONVERTER = "org.apache.kafka.connect.json.JsonConverter"


def _at_least(minimum: int) -> Validator:
    def check(_name: str, value: object) -> None:
        if isinstance(value, int) and value < minimum:
            raise ConfigValueError(f"Value must be at least {minimum}")

    return check


def _converter_class(_name: str, value: object) -> None:
    if value is not None and str(value) not in CONVERTERS:
        raise ConfigValueError(f"Class {value} could not be found.")


def _key(  # noqa: PLR0917 - the order of Kafka's ConfigDef.define
    name: str,
    config_type: ConfigType,
    default: object,
    importance: Importance,
    doc: str,
    group: str,
    order: int,
    display: str,
    validator: Validator | None = None,
    recommended: tuple[str, ...] = (),
) -> ConfigKey:
    return ConfigKey(
        name, config_type, default, importance, doc, validator, group, order,
        Width.LONG if config_type in (ConfigType.STRING, ConfigType.CLASS) else Width.SHORT,
        display, recommended_values=recommended,
    )


COMMON_KEYS: tuple[ConfigKey, ...] = (
    _key("name", ConfigType.STRING, NO_DEFAULT, Importance.HIGH,
         "Globally unique name to use for this connector.", COMMON_GROUP, 1, "Connector name",
         non_empty_string),
    _key("connector.class", ConfigType.STRING, NO_DEFAULT, Importance.HIGH,
         "Name or alias of the class for this connector.", COMMON_GROUP, 2, "Connector class"),
    _key("tasks.max", ConfigType.INT, 1, Importance.HIGH,
         "Maximum number of tasks to use for this connector.", COMMON_GROUP, 3, "Tasks max",
         _at_least(1)),
    _key("key.converter", ConfigType.CLASS, None, Importance.LOW,
         "Converter class used to convert between Kafka Connect format and the serialized "
         "form that is written to Kafka (record keys).", COMMON_GROUP, 4, "Key converter class",
         _converter_class),
    _key("value.converter", ConfigType.CLASS, None, Importance.LOW,
         "Converter class used for record values.", COMMON_GROUP, 5,
         "Value converter class", _converter_class),
    _key("header.converter", ConfigType.CLASS, None, Importance.LOW,
         "HeaderConverter class used for record headers.", COMMON_GROUP, 6,
         "Header converter class"),
)

ERROR_KEYS: tuple[ConfigKey, ...] = (
    _key("errors.retry.timeout", ConfigType.LONG, 0, Importance.MEDIUM,
         "The maximum duration in milliseconds that a failed operation will be reattempted. "
         "-1 means infinite retries.", ERROR_GROUP, 1, "Retry Timeout for Errors"),
    _key("errors.retry.delay.max.ms", ConfigType.LONG, 60000, Importance.MEDIUM,
         "The maximum duration in milliseconds between consecutive retry attempts.",
         ERROR_GROUP, 2, "Maximum Delay Between Retries for Errors"),
    _key("errors.tolerance", ConfigType.STRING, "none", Importance.MEDIUM,
         "Behavior for tolerating errors during connector operation. 'none' fails the task, "
         "'all' skips problematic records.", ERROR_GROUP, 3, "Error Tolerance",
         one_of("none", "all")),
    _key("errors.log.enable", ConfigType.BOOLEAN, False, Importance.MEDIUM,
         "If true, write each error and the details of the failed operation to the log.",
         ERROR_GROUP, 4, "Log Errors"),
    _key("errors.log.include.messages", ConfigType.BOOLEAN, False, Importance.MEDIUM,
         "Whether to include in the log the record that resulted in a failure.",
         ERROR_GROUP, 5, "Log Error Details"),
)

SINK_KEYS: tuple[ConfigKey, ...] = (
    _key("topics", ConfigType.LIST, [], Importance.HIGH,
         "List of topics to consume, separated by commas", COMMON_GROUP, 4, "Topics"),
    _key("topics.regex", ConfigType.STRING, "", Importance.HIGH,
         "Regular expression giving topics to consume.", COMMON_GROUP, 4, "Topics regex"),
    _key("errors.deadletterqueue.topic.name", ConfigType.STRING, "", Importance.MEDIUM,
         "The name of the topic to be used as the dead letter queue (DLQ) for messages that "
         "result in an error when processed by this sink connector.", ERROR_GROUP, 6,
         "Dead Letter Queue Topic Name"),
    _key("errors.deadletterqueue.topic.replication.factor", ConfigType.SHORT, 3,
         Importance.MEDIUM, "Replication factor used to create the dead letter queue topic "
         "when it doesn't already exist.", ERROR_GROUP, 7,
         "Dead Letter Queue Topic Replication Factor"),
    _key("errors.deadletterqueue.context.headers.enable", ConfigType.BOOLEAN, False,
         Importance.MEDIUM, "If true, add headers containing error context to the messages "
         "written to the dead letter queue.", ERROR_GROUP, 8,
         "Enable Error Context Headers"),
)


def _check(report: ValidationReport, key: ConfigKey, props: Mapping[str, object]) -> object:
    result = ConfigResult(key, raw_value(props, key))
    report.results.append(result)
    report.add_group(key.group or "")
    try:
        return parse_key(key, props)
    except InvalidConnectorConfig as error:
        result.errors.append(error.message)
        return None


def validate_connector_config(plugin: Plugin, props: Mapping[str, str]) -> ValidationReport:
    """Every key checked, errors per key; nothing is started (a fresh connector object only
    answers `config_def` and `validate_extra`)."""
    report = ValidationReport(plugin.class_name)
    is_sink = plugin.type == "sink"
    common = [*COMMON_KEYS, *(SINK_KEYS[:2] if is_sink else ())]
    for key in common:
        _check(report, key, props)
    if is_sink:
        _check_topics(report, props)
    chain = validate_chain_config(props, plugin.class_name)
    for group in chain.groups:
        report.add_group(group)
    report.results.extend(chain.results)
    for key in [*ERROR_KEYS, *(SINK_KEYS[2:] if is_sink else ())]:
        _check(report, key, props)
    connector = plugin.cls()
    own_group = plugin.class_name.rsplit(".", 1)[-1]
    taken = {r.key.name for r in report.results}
    for order, key in enumerate(connector.config_def(), start=1):
        if key.name in taken:
            continue
        grouped = dataclasses.replace(
            key, group=key.group or own_group,
            order_in_group=key.order_in_group if key.group else order,
        )
        _check(report, grouped, props)
    _add_errors(report, props, connector.validate_extra(props))
    _add_errors(report, props, override_errors(props))
    return report


def _add_errors(report: ValidationReport, props: Mapping[str, str],
                errors: Mapping[str, list[str]]) -> None:
    """Errors found beyond the definitions, on their key's result (made when missing)."""
    for name, messages in errors.items():
        found = report.result(name)
        if found is None:
            found = ConfigResult(
                ConfigKey(name, ConfigType.STRING, None, Importance.LOW, ""), props.get(name)
            )
            report.results.append(found)
        found.errors.extend(messages)


def _check_topics(report: ValidationReport, props: Mapping[str, object]) -> None:
    topics = str(props.get("topics") or "").strip()
    regex = str(props.get("topics.regex") or "").strip()
    message = None
    if topics and regex:
        message = (
            "topics and topics.regex are mutually exclusive options, but both are set."
        )
    elif not topics and not regex:
        message = "Must configure one of topics or topics.regex"
    if message is not None:
        for name in ("topics", "topics.regex"):
            found = report.result(name)
            if found is not None:
                found.errors.append(message)


def connector_class_of(props: Mapping[str, str]) -> str:
    value = props.get("connector.class", "").strip()
    if not value:
        text = 'Missing required configuration "connector.class" which has no default value.'
        raise InvalidConnectorConfig(text, {"connector.class": [text]})
    return value


def sub_config(props: Mapping[str, str], prefix: str) -> dict[str, str]:
    return {k[len(prefix):]: v for k, v in props.items() if k.startswith(prefix)}


__all__ = [
    "COMMON_KEYS",
    "ERROR_KEYS",
    "JSON_CONVERTER",
    "SINK_KEYS",
    "ConfigDef",
    "connector_class_of",
    "sub_config",
    "validate_connector_config",
]
