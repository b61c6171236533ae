"""A connector's own client settings: `producer.override.*`, `consumer.override.*` and
`admin.override.*` (Kafka's KIP-458), under the policy Kafka's workers default to, `All`.

`consumer.override.max.poll.records=100` becomes the task consumer's `max_poll_records=100`:
Kafka's dotted names are our clients' keywords with underscores, and the string values
are read as the setting's type. The producer settings go to a source task's producer and a
sink's dead letter queue producer, the admin settings to the clients creating their topics.
An override wins over the worker's own choice (a source producer's `linger.ms`, a sink
consumer's `auto.offset.reset`), except for the few settings the worker's guarantees rest
on, which are refused with the reason.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping

from kanal.client.config import AdminConfig, ConnectionConfig, ConsumerConfig, ProducerConfig

from kanal_connect.errors import InvalidConnectorConfig

PRODUCER = "producer.override."
CONSUMER = "consumer.override."
ADMIN = "admin.override."
_CLIENTS: dict[str, type] = {PRODUCER: ProducerConfig, CONSUMER: ConsumerConfig,
                             ADMIN: AdminConfig}
# Settings our clients take as something other than their declared type's text.
_AS_TEXT = {"acks", "isolation_level"}
_REFUSED: dict[str, str] = {
    "bootstrap.servers": "the worker's internal topics, offsets and dead letter queues are "
                         "on its own cluster",
    "group.id": "the worker commits and reports a sink's offsets under connect-<connector>",
    "enable.auto.commit": "the worker commits a sink's offsets only after the task has "
                          "written the records (pre_commit)",
    **dict.fromkeys(
        ("key.serializer", "value.serializer", "key.deserializer", "value.deserializer"),
        "Connect's clients carry bytes: the connector's converters do the (de)serializing"),
}
# Keywords of our clients that are Python objects or iterator behaviour, not Kafka settings.
_NOT_SETTINGS = {"partitioner", "consumer_timeout_ms"}


def _types(config: type) -> dict[str, object]:
    hints = typing.get_type_hints(config)
    fields = {f.name: hints[f.name] for f in dataclasses.fields(config)
              if f.name != "connection" and f.name not in _NOT_SETTINGS}
    connection = typing.get_type_hints(ConnectionConfig)
    fields.update({f.name: connection[f.name] for f in dataclasses.fields(ConnectionConfig)
                   if f.name != "bootstrap_servers"})
    return fields


_SETTINGS = {prefix: _types(config) for prefix, config in _CLIENTS.items()}


def client_settings(props: Mapping[str, str], prefix: str) -> dict[str, object]:
    """The client keywords of the connector's `prefix` overrides; InvalidConnectorConfig
    with an error per bad key."""
    settings: dict[str, object] = {}
    errors: dict[str, list[str]] = {}
    for key, text in props.items():
        if not key.startswith(prefix):
            continue
        try:
            name, value = _setting(prefix, key[len(prefix):], text)
        except ValueError as error:
            errors[key] = [str(error)]
            continue
        settings[name] = value
    if errors:
        raise InvalidConnectorConfig(field_errors=errors)
    return settings


def override_errors(props: Mapping[str, str]) -> dict[str, list[str]]:
    """Every bad override key of a connector config, for validation."""
    errors: dict[str, list[str]] = {}
    for prefix in _CLIENTS:
        try:
            client_settings(props, prefix)
        except InvalidConnectorConfig as error:
            errors.update(error.field_errors)
    return errors


def _setting(prefix: str, kafka_name: str, text: str) -> tuple[str, object]:
    if kafka_name in _REFUSED:
        raise ValueError(f"{kafka_name} cannot be overridden: {_REFUSED[kafka_name]}")
    name = kafka_name.replace(".", "_")
    kind = _SETTINGS[prefix].get(name)
    if kind is None:
        client = prefix.split(".", 1)[0]
        raise ValueError(f"{kafka_name} is not a setting of Kanal's {client} client")
    if name in _AS_TEXT:
        return name, text
    return name, _parse(kafka_name, text, kind)


def _parse(kafka_name: str, text: str, kind: object) -> object:
    options = set(typing.get_args(kind)) or {kind}
    value = text.strip()
    if type(None) in options and value.lower() in ("", "null", "none"):
        return None
    try:
        if bool in options:
            if value.lower() not in ("true", "false"):
                raise ValueError
            return value.lower() == "true"
        if int in options:
            return int(value)
        if float in options:
            return float(value)
    except ValueError:
        raise ValueError(f"Invalid value {text} for configuration {kafka_name}") from None
    return value
