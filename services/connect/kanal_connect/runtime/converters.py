"""The key, value and header converters of one connector: the connector's own
`key.converter` / `value.converter` (with its `key.converter.*` settings) when it names one,
else the worker's (with the worker's settings), as Kafka's `Plugins.newConverter` decides.

Registry-backed converters (`PreparingConverter`) get the worker's `--schema-registry-url` as
`schema.registry.url` unless their settings name one, and are prepared once per batch here:
`prepare_sink_batch` before a polled batch is converted, `prepare_source_batch` before a
transformed batch is serialized."""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

from kanal.client.records import ConsumerRecord

from kanal_connect.converters import Converter, converter_for
from kanal_connect.converters.base import PreparingConverter
from kanal_connect.converters.registry_settings import SCHEMA_REGISTRY_URL_CONFIG
from kanal_connect.data.record import ConnectHeader, SourceRecord
from kanal_connect.data.schema import OPTIONAL_BYTES, OPTIONAL_STRING, Schema
from kanal_connect.errors import DataException
from kanal_connect.runtime.error_handling import RetryWithTolerance, Stage, ToleratedError


@dataclass(frozen=True, slots=True)
class WorkerConverters:
    """The worker's defaults (Kafka's worker `key.converter` / `value.converter`)."""

    key_class: str = "org.apache.kafka.connect.json.JsonConverter"
    value_class: str = "org.apache.kafka.connect.json.JsonConverter"
    key_settings: Mapping[str, str] | None = None
    value_settings: Mapping[str, str] | None = None
    schema_registry_url: str | None = None
    """The worker's `--schema-registry-url`: registry converters' default."""


@dataclass(frozen=True, slots=True)
class ConverterPair:
    key: Converter
    value: Converter
    # Which of the two need their batch prepared, decided once (a Protocol isinstance check
    # looks every method up).
    preparing: tuple[tuple[Stage, PreparingConverter], ...] = field(default=(), compare=False)

    async def aclose(self) -> None:
        """Release the registry clients when the task stops (a failing close changes
        nothing for the task: it is over)."""
        for _stage, converter in self.preparing:
            with contextlib.suppress(Exception):
                await converter.aclose()


def _one(
    props: Mapping[str, str], prefix: str, defaults: WorkerConverters, is_key: bool,
) -> Converter:
    own = props.get(prefix.rstrip("."))
    if own:
        settings = {k[len(prefix):]: v for k, v in props.items() if k.startswith(prefix)}
        converter = converter_for(own)
    else:
        settings = dict((defaults.key_settings if is_key else defaults.value_settings) or {})
        converter = converter_for(defaults.key_class if is_key else defaults.value_class)
    if isinstance(converter, PreparingConverter) and defaults.schema_registry_url:
        settings.setdefault(SCHEMA_REGISTRY_URL_CONFIG, defaults.schema_registry_url)
    converter.configure(settings, is_key)
    return converter


def converters_for(props: Mapping[str, str], defaults: WorkerConverters) -> ConverterPair:
    """Configured converters; raises InvalidConnectorConfig for a bad class or setting."""
    key = _one(props, "key.converter.", defaults, True)
    value = _one(props, "value.converter.", defaults, False)
    preparing = tuple(
        (stage, converter)
        for stage, converter in ((Stage.KEY_CONVERTER, key), (Stage.VALUE_CONVERTER, value))
        if isinstance(converter, PreparingConverter)
    )
    return ConverterPair(key, value, preparing)


async def prepare_sink_batch(
    pair: ConverterPair, batches: Iterable[Sequence[ConsumerRecord]],
    errors: RetryWithTolerance,
) -> None:
    """Fetch the schemas a polled batch's keys and values name, once per topic. A registry
    outage is retried as `errors.retry.*` says; if still failing and tolerated, the records
    that need it fail alone in their conversion (and reach the DLQ)."""
    if not pair.preparing:
        return
    by_topic: defaultdict[str, list[ConsumerRecord]] = defaultdict(list)
    for consumed in batches:
        for record in consumed:
            by_topic[record.topic].append(record)
    for topic, records in by_topic.items():
        for stage, converter in pair.preparing:
            data = [r.key if stage is Stage.KEY_CONVERTER else r.value for r in records]
            with contextlib.suppress(ToleratedError):
                await errors.execute(
                    partial(converter.prepare_to_connect, topic, data), stage, {"topic": topic}
                )


async def prepare_source_batch(
    pair: ConverterPair, records: Iterable[SourceRecord | None], errors: RetryWithTolerance,
) -> None:
    """Register (or look up) the distinct key and value schemas of a transformed batch, once
    per topic; None stands for a record the transformations dropped."""
    if not pair.preparing:
        return
    # Distinct by identity: connectors reuse one Schema object per record type, and hashing
    # a Schema walks all of it (the converter deduplicates by equality itself).
    by_topic: defaultdict[str, tuple[dict[int, Schema | None], dict[int, Schema | None]]] = (
        defaultdict(lambda: ({}, {})))
    for record in records:
        if record is not None:
            keys, values = by_topic[record.topic]
            keys[id(record.key_schema)] = record.key_schema
            values[id(record.value_schema)] = record.value_schema
    for topic, (keys, values) in by_topic.items():
        for stage, converter in pair.preparing:
            schemas = list((keys if stage is Stage.KEY_CONVERTER else values).values())
            with contextlib.suppress(ToleratedError):
                await errors.execute(
                    partial(converter.prepare_from_connect, topic, schemas), stage,
                    {"topic": topic},
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
