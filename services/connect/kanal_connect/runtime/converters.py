"""The key, value and header converters of one connector: the connector's own
`key.converter` / `value.converter` (with its `key.converter.*` settings) when it names one,
else the worker's (with the worker's settings), as Kafka's `Plugins.newConverter` decides."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kanal_connect.converters import Converter, converter_for
from kanal_connect.data.record import ConnectHeader
from kanal_connect.data.schema import OPTIONAL_BYTES, OPTIONAL_STRING
from kanal_connect.errors import DataException


@dataclass(frozen=True, slots=True)
class WorkerConverters:
    """The worker's defaults (Kafka's worker `key.converter` / `value.converter`)."""

    key_class: str = "org.apache.kafka.connect.json.JsonConverter"
    value_class: str = "org.apache.kafka.connect.json.JsonConverter"
    key_settings: Mapping[str, str] | None = None
    value_settings: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class ConverterPair:
    key: Converter
    value: Converter


def _one(
    props: Mapping[str, str], prefix: str, default_class: str,
    default_settings: Mapping[str, str] | None, is_key: bool,
) -> Converter:
    own = props.get(prefix.rstrip("."))
    if own:
        settings = {k[len(prefix):]: v for k, v in props.items() if k.startswith(prefix)}
        converter = converter_for(own)
    else:
        settings = dict(default_settings or {})
        converter = converter_for(default_class)
    converter.configure(settings, is_key)
    return converter


def converters_for(props: Mapping[str, str], defaults: WorkerConverters) -> ConverterPair:
    """Configured converters; raises InvalidConnectorConfig for a bad class or setting."""
    return ConverterPair(
        _one(props, "key.converter.", defaults.key_class, defaults.key_settings, True),
        _one(props, "value.converter.", defaults.value_class, defaults.value_settings, False),
    )


# Headers use Kafka's SimpleHeaderConverter idea in its simplest form: strings as UTF-8,
# bytes as they are, anything else as JSON text; reading yields strings (bytes when they are
# not UTF-8).
def headers_to_kafka(headers: Sequence[ConnectHeader]) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for header in headers:
        value = header.value
        if value is None:
            continue
        if isinstance(value, bytes | bytearray):
            out.append((header.key, bytes(value)))
        elif isinstance(value, str):
            out.append((header.key, value.encode()))
        else:
            try:
                out.append((header.key, json.dumps(value, default=str).encode()))
            except (TypeError, ValueError) as error:
                raise DataException(f"header {header.key}: {error}") from None
    return out


def headers_from_kafka(headers: Sequence[tuple[str, bytes | None]]) -> tuple[ConnectHeader, ...]:
    out: list[ConnectHeader] = []
    for key, raw in headers:
        if raw is None:
            out.append(ConnectHeader(key, None, None))
            continue
        try:
            out.append(ConnectHeader(key, OPTIONAL_STRING, raw.decode()))
        except UnicodeDecodeError:
            out.append(ConnectHeader(key, OPTIONAL_BYTES, raw))
    return tuple(out)
