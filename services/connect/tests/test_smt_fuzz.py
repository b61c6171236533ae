"""Every SMT over random schemaless values: a record, None, or DataException; never a crash."""

from __future__ import annotations

import contextlib

from connect_strategies import json_documents, schemas, values_for
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal_connect.converters import JsonConverter
from kanal_connect.data import ConnectHeader, Schema, SinkRecord, logical
from kanal_connect.errors import DataException
from kanal_connect.transforms import TRANSFORMATIONS

CONFIGS: dict[str, dict[str, object]] = {
    "InsertField": {
        "topic.field": "t",
        "partition.field": "p",
        "offset.field": "o",
        "timestamp.field": "ts",
        "static.field": "s",
        "static.value": "v",
    },
    "ReplaceField": {"exclude": "a", "include": "a,b,c", "renames": "b:bb"},
    "SetSchemaMetadata": {"schema.name": "renamed"},
    "MaskField": {"fields": "a,b"},
    "ValueToKey": {"fields": "a,b"},
    "ExtractField": {"field": "a"},
    "HoistField": {"field": "h"},
    "Cast": {"spec": "a:int32,b:string,c:boolean"},
    "TimestampConverter": {"field": "a", "target.type": "string", "format": "yyyy-MM-dd"},
    "RegexRouter": {"regex": "(.*)", "replacement": "$1-x"},
    "TimestampRouter": {},
    "Filter": {},
    "Flatten": {},
    "HeaderFrom": {"fields": "a", "headers": "ha", "operation": "move"},
    "InsertHeader": {"header": "h", "value.literal": "1"},
    "DropHeaders": {"headers": "h"},
}
ALIASES = sorted(alias for alias in TRANSFORMATIONS if not alias.startswith("org."))
values = json_documents | st.dictionaries(st.sampled_from("abc"), json_documents, max_size=3)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(ALIASES), values, values, st.integers(-(2**40), 2**40) | st.none())
def test_schemaless_records_never_crash_a_transform(
    alias: str, key: object, value: object, timestamp: int | None
) -> None:
    transformation = TRANSFORMATIONS[alias]()
    transformation.configure(CONFIGS[alias.split("$", maxsplit=1)[0]])
    record = SinkRecord(
        topic="orders",
        kafka_partition=1,
        key=key,
        value=value,
        kafka_offset=9,
        timestamp=timestamp,
        headers=(ConnectHeader("h", None, 1),),
    )
    with contextlib.suppress(DataException):
        result = transformation.apply(record)
        assert result is None or isinstance(result, SinkRecord)


SCHEMA_CONFIGS: dict[str, dict[str, object]] = {
    "Flatten$Value": {"delimiter": "_"},
    "InsertField$Value": {"topic.field": "topic!", "timestamp.field": "ts", "offset.field": "o"},
    "HoistField$Value": {"field": "wrapped"},
    "SetSchemaMetadata$Value": {"schema.name": "renamed", "schema.version": "2"},
    "ReplaceField$Value": {"exclude": "A", "renames": "B:b2"},
    "Cast$Value": {"spec": "A:string,B:int64"},
    "MaskField$Value": {"fields": "A,B"},
}


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(SCHEMA_CONFIGS)),
    schemas.flatmap(lambda s: st.tuples(st.just(s), values_for(s))),
)
def test_schema_outputs_stay_consistent_with_their_schemas(
    alias: str, pair: tuple[Schema, object]
) -> None:
    """Whatever an SMT returns for a schema'd record, the JSON converter can write it: the
    new schema and value agree."""
    schema, value = pair
    if alias.startswith("SetSchemaMetadata") and schema.name in logical.LOGICAL_NAMES:
        return  # renaming a logical schema leaves e.g. a Decimal under plain BYTES, as in Kafka
    transformation = TRANSFORMATIONS[alias]()
    transformation.configure(SCHEMA_CONFIGS[alias])
    record = SinkRecord(topic="t", value_schema=schema, value=value, kafka_offset=1, timestamp=5)
    try:
        result = transformation.apply(record)
    except DataException:
        return
    assert result is not None
    converter = JsonConverter()
    converter.configure({}, False)
    data = converter.from_connect("t", result.value_schema, result.value)
    if data is not None:
        assert converter.to_connect("t", data).schema == result.value_schema
