"""How the task loops get registry converters (runtime/converters.py): the worker's registry
URL as the default, and the batch preparation with the errors.* policy."""

from __future__ import annotations

import pytest
from kanal.client.records import ConsumerRecord
from kanal_connect.converters import AvroConverter, JsonConverter
from kanal_connect.data import INT64, STRING, SourceRecord
from kanal_connect.errors import DataException, InvalidConnectorConfig, RetriableError
from kanal_connect.runtime.converters import (
    WorkerConverters,
    converters_for,
    prepare_sink_batch,
    prepare_source_batch,
)
from kanal_connect.runtime.error_handling import ErrorSettings, RetryWithTolerance, Stage

from .conftest import Namer

AVRO = "io.confluent.connect.avro.AvroConverter"
WORKER_URL = "http://127.0.0.1:18081"


def test_registry_converters_default_to_the_workers_url() -> None:
    defaults = WorkerConverters(key_class="StringConverter", value_class=AVRO,
                                schema_registry_url=WORKER_URL)
    pair = converters_for({}, defaults)
    assert isinstance(pair.value, AvroConverter)
    assert pair.value.settings.urls == (WORKER_URL,) and not pair.value.settings.is_key
    assert pair.preparing == ((Stage.VALUE_CONVERTER, pair.value),)
    own = converters_for({"key.converter": AVRO,
                          "key.converter.schema.registry.url": "http://10.0.0.1:8081"}, defaults)
    assert isinstance(own.key, AvroConverter) and own.key.settings.urls == ("http://10.0.0.1:8081",)
    assert own.key.settings.is_key and [stage for stage, _ in own.preparing] == [
        Stage.KEY_CONVERTER, Stage.VALUE_CONVERTER]
    json_only = converters_for({}, WorkerConverters(schema_registry_url=WORKER_URL))
    assert isinstance(json_only.value, JsonConverter) and json_only.preparing == ()


def test_without_any_url_a_registry_converter_is_refused() -> None:
    with pytest.raises(InvalidConnectorConfig, match=r"schema\.registry\.url"):
        converters_for({"value.converter": AVRO}, WorkerConverters())


def retry(*, tolerate: bool) -> RetryWithTolerance:
    return RetryWithTolerance(ErrorSettings(tolerate_all=tolerate), "c", 0)


def record(topic: str, value: object) -> SourceRecord:
    return SourceRecord(topic=topic, key_schema=STRING, key="k", value_schema=INT64, value=value)


@pytest.mark.integration
async def test_a_prepared_batch_converts_per_record(registry_url: str, unique: Namer) -> None:
    topic = unique("runtime")
    props = {"value.converter": AVRO, "key.converter": AVRO}
    writer = converters_for(props, WorkerConverters(schema_registry_url=registry_url))
    reader = converters_for(props, WorkerConverters(schema_registry_url=registry_url))
    try:
        records = [record(topic, 1), None, record(topic, 2)]
        await prepare_source_batch(writer, records, retry(tolerate=False))
        keys = [writer.key.from_connect(topic, STRING, "k") for _ in range(2)]
        values = [writer.value.from_connect(topic, INT64, n) for n in (1, 2)]
        consumed = [ConsumerRecord(topic, 0, n, 0, 0, k, v, (), 0, 0)
                    for n, (k, v) in enumerate(zip(keys, values, strict=True))]
        await prepare_sink_batch(reader, [consumed], retry(tolerate=False))
        assert [reader.value.to_connect(topic, r.value).value for r in consumed] == [1, 2]
        assert reader.key.to_connect(topic, consumed[0].key).value == "k"
    finally:
        await writer.aclose()
        await reader.aclose()


async def test_a_registry_outage_fails_the_batch_unless_tolerated(
    unused_tcp_port: int,
) -> None:
    down = WorkerConverters(value_class=AVRO,
                            schema_registry_url=f"http://127.0.0.1:{unused_tcp_port}")
    pair = converters_for({}, down)
    try:
        with pytest.raises(RetriableError):
            await prepare_source_batch(pair, [record("t", 1)], retry(tolerate=False))
        tolerant = retry(tolerate=True)
        await prepare_source_batch(pair, [record("t", 1)], tolerant)
        assert tolerant.skipped == 1
        with pytest.raises(DataException, match="schema registry unavailable"):
            pair.value.from_connect("t", INT64, 1)
        consumed = ConsumerRecord("t", 0, 0, 0, 0, None, b"\x00\x00\x00\x00\x01\x02", (), 0, 0)
        with pytest.raises(RetriableError):
            await prepare_sink_batch(pair, [[consumed]], retry(tolerate=False))
    finally:
        await pair.aclose()
