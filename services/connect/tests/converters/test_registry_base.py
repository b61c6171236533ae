"""The shared registry plumbing (registry_base.py), driven through a minimal format: Avro
primitive schemas ("string", "long") with UTF-8 / decimal-text payloads, against a real
registry."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from kanal.serde import SchemaRegistryClient
from kanal.serde.schema_types import Schema as RegistrySchema
from kanal.serde.wire import read_header
from kanal_connect.converters.base import PreparingConverter, SchemaAndValue
from kanal_connect.converters.registry_base import RegistryConverter, WriterSchema
from kanal_connect.data import schema as s
from kanal_connect.errors import DataException, InvalidConnectorConfig, RetriableError

from .conftest import Namer

pytestmark = pytest.mark.integration

_TEXT = {s.SchemaType.STRING: "string", s.SchemaType.INT64: "long"}
_CONNECT = {"string": s.STRING, "long": s.INT64}


class PrimitiveConverter(RegistryConverter[str]):
    """Parsed schema = the Avro primitive's name; a named STRING is a record name."""

    schema_type = "AVRO"

    def writer_schema(self, schema: s.Schema | None) -> WriterSchema[str]:
        if schema is None or schema.type not in _TEXT:
            raise DataException(f"no primitive for {schema}")
        text = _TEXT[schema.type]
        return WriterSchema(RegistrySchema(json.dumps(text)), text, record_name=schema.name)

    def parse_registry_schema(
        self, schema: RegistrySchema, references: Mapping[str, RegistrySchema]
    ) -> str:
        text = json.loads(schema.schema_str)
        if text not in _CONNECT:
            raise DataException(f"not a primitive: {schema.schema_str}")
        return str(text)

    def encode(self, parsed: str, schema: s.Schema | None, value: object) -> bytes:
        if parsed == "long" and not isinstance(value, int):
            raise DataException("not a long")
        return str(value).encode()

    def decode(self, parsed: str, payload: memoryview) -> SchemaAndValue:
        text = bytes(payload).decode()
        return SchemaAndValue(_CONNECT[parsed], int(text) if parsed == "long" else text)


def converter(url: str, **settings: str) -> PrimitiveConverter:
    made = PrimitiveConverter()
    made.configure({"schema.registry.url": url, **settings}, False)
    return made


async def test_a_written_record_reads_back_through_another_converter(
    registry_url: str, registry: SchemaRegistryClient, unique: Namer
) -> None:
    topic = unique("base")
    writer, reader = converter(registry_url), converter(registry_url)
    assert isinstance(writer, PreparingConverter)
    try:
        await writer.prepare_from_connect(topic, [s.STRING, s.STRING, s.INT64])
        data = writer.from_connect(topic, s.STRING, "hello")
        assert data is not None
        registered = registry.get_latest_version(f"{topic}-value")
        assert read_header(data) == registered.schema_id
        await reader.prepare_to_connect(topic, [data, None, b"junk"])
        assert reader.to_connect(topic, data) == SchemaAndValue(s.STRING, "hello")
        assert reader.to_connect(topic, None) == SchemaAndValue(None, None)
    finally:
        await writer.aclose()
        await reader.aclose()


async def test_per_record_calls_fail_alone_with_data_exception(
    registry_url: str, unique: Namer
) -> None:
    topic = unique("base")
    conv = converter(registry_url)
    try:
        with pytest.raises(DataException, match="prepare_from_connect was not called"):
            conv.from_connect(topic, s.STRING, "x")
        await conv.prepare_from_connect(topic, [s.BOOLEAN, s.INT64])  # BOOLEAN: unmappable
        with pytest.raises(DataException, match="no primitive"):
            conv.from_connect(topic, s.BOOLEAN, True)
        assert conv.from_connect(topic, s.BOOLEAN, None) is None  # a tombstone stays null
        with pytest.raises(DataException, match="not a long"):
            conv.from_connect(topic, s.INT64, "text")
        unknown = b"\x00\x7f\xff\xff\xf0payload"
        await conv.prepare_to_connect(topic, [unknown])
        with pytest.raises(DataException, match="schema id 2147483632"):
            conv.to_connect(topic, unknown)
        for garbage in (b"", b"\x01\x00\x00\x00\x01x", b"\x00\x00"):
            with pytest.raises(DataException, match="Unknown magic byte"):
                conv.to_connect(topic, garbage)
    finally:
        await conv.aclose()


async def test_without_auto_register_only_registered_schemas_are_written(
    registry_url: str, registry: SchemaRegistryClient, unique: Namer
) -> None:
    topic = unique("base")
    conv = converter(registry_url, **{"auto.register.schemas": "false"})
    try:
        await conv.prepare_from_connect(topic, [s.STRING])
        with pytest.raises(DataException, match="not found"):
            conv.from_connect(topic, s.STRING, "x")
        schema_id = registry.register_schema(f"{topic}-value", RegistrySchema('"string"'))
        await conv.prepare_from_connect(topic, [s.STRING])
        assert read_header(conv.from_connect(topic, s.STRING, "x") or b"") == schema_id
    finally:
        await conv.aclose()


async def test_use_latest_version_writes_with_the_subjects_latest_schema(
    registry_url: str, registry: SchemaRegistryClient, unique: Namer
) -> None:
    topic = unique("base")
    latest = registry.register_schema(f"{topic}-value", RegistrySchema('"long"'))
    settings = {"auto.register.schemas": "false", "use.latest.version": "true"}
    conv = converter(registry_url, **settings)
    try:
        await conv.prepare_from_connect(topic, [s.STRING])
        data = conv.from_connect(topic, s.STRING, 42)  # written as the latest: a long
        assert data is not None and read_header(data) == latest
    finally:
        await conv.aclose()


@pytest.mark.parametrize(
    ("strategy", "subject"),
    [
        ("io.confluent.kafka.serializers.subject.RecordNameStrategy", "{name}"),
        ("TopicRecordNameStrategy", "{topic}-{name}"),
        ("TopicNameStrategy", "{topic}-value"),
    ],
)
async def test_subject_name_strategies(
    registry_url: str, registry: SchemaRegistryClient, unique: Namer, strategy: str,
    subject: str,
) -> None:
    topic, name = unique("base"), unique("kanal.Name")
    named = s.STRING.with_metadata(name=name)
    conv = converter(registry_url, **{"value.subject.name.strategy": strategy})
    try:
        await conv.prepare_from_connect(topic, [named, s.STRING])
        data = conv.from_connect(topic, named, "v")
        expected = subject.format(topic=topic, name=name)
        assert read_header(data or b"") == registry.get_latest_version(expected).schema_id
        if "Record" in strategy:
            with pytest.raises(DataException, match="record name strategies"):
                conv.from_connect(topic, s.STRING, "unnamed")
    finally:
        await conv.aclose()


async def test_a_small_cache_still_holds_one_whole_batch(registry_url: str, unique: Namer) -> None:
    topic = unique("base")
    first, second = (s.STRING.with_metadata(name=f"kanal.N{i}") for i in range(2))
    settings = {
        "schemas.cache.config": "1", "value.subject.name.strategy": "TopicRecordNameStrategy",
    }
    conv = converter(registry_url, **settings)
    try:
        await conv.prepare_from_connect(topic, [first, second])
        assert conv.from_connect(topic, first, "a") is not None
        assert conv.from_connect(topic, second, "b") is not None
    finally:
        await conv.aclose()


async def test_an_unreachable_registry_is_retriable(unused_tcp_port: int) -> None:
    conv = converter(f"http://127.0.0.1:{unused_tcp_port}")
    try:
        with pytest.raises(RetriableError):
            await conv.prepare_from_connect("t", [s.STRING])
        with pytest.raises(RetriableError):
            await conv.prepare_to_connect("t", [b"\x00\x00\x00\x00\x01x"])
    finally:
        await conv.aclose()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "Missing required configuration"),
        ({"schema.registry.url": ""}, "Empty list"),
        ({"schema.registry.url": "ftp://x"}, "must start with http"),
        ({"schema.registry.url": "http://x", "value.subject.name.strategy": "Nope"}, "Nope"),
        ({"schema.registry.url": "http://x", "auto.register.schemas": "maybe"}, "true or false"),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidConnectorConfig, match=message):
        PrimitiveConverter().configure(settings, False)
