"""Builders shared by the SMT tests."""

from __future__ import annotations

from kanal_connect.data import ConnectHeader, Schema, SinkRecord, SourceRecord, Struct
from kanal_connect.transforms import TRANSFORMATIONS, Transformation

TIMESTAMP = 1_483_425_001_864  # 2017-01-03T06:30:01.864Z


def smt(alias: str, **configs: object) -> Transformation:
    """A configured SMT; keyword names use `_` for `.` (static_field -> static.field)."""
    transformation = TRANSFORMATIONS[alias]()
    transformation.configure({k.replace("_", "."): v for k, v in configs.items()})
    return transformation


def filled(schema: Schema | None, **values: object) -> Struct:
    assert schema is not None
    value = Struct(schema)
    for name, item in values.items():
        value.put(name, item)
    return value


def sink(
    value: object = None,
    schema: Schema | None = None,
    *,
    topic: str = "test",
    timestamp: int | None = TIMESTAMP,
    headers: tuple[ConnectHeader, ...] = (),
) -> SinkRecord:
    return SinkRecord(
        topic=topic,
        kafka_partition=0,
        value_schema=schema,
        value=value,
        kafka_offset=42,
        timestamp=timestamp,
        headers=headers,
    )


def source(value: object = None, schema: Schema | None = None) -> SourceRecord:
    return SourceRecord(topic="test", kafka_partition=0, value_schema=schema, value=value)
