"""InsertField, ReplaceField, MaskField, ValueToKey, ExtractField, HoistField."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from kanal_connect.data import (
    BOOLEAN,
    INT32,
    INT64,
    OPTIONAL_INT32,
    OPTIONAL_INT64,
    OPTIONAL_STRING,
    STRING,
    SinkRecord,
    logical,
    struct,
)
from kanal_connect.errors import DataException, InvalidConnectorConfig
from kanal_connect.transforms import TRANSFORMATIONS
from smt_helpers import filled, sink, smt, source

TS = 1_483_425_001_864


def test_docs_example_hoist_then_insert_static_field() -> None:
    # Kafka's documentation: "foo" becomes {"line":"foo","data_source":"test-file-source"}.
    hoist = smt("HoistField$Value", field="line")
    insert = smt(
        "org.apache.kafka.connect.transforms.InsertField$Value",
        static_field="data_source",
        static_value="test-file-source",
    )
    for schema in (STRING, None):
        hoisted = hoist.apply(source("foo", schema))
        assert hoisted is not None
        record = insert.apply(hoisted)
        assert record is not None
        expected: object = {"line": "foo", "data_source": "test-file-source"}
        if schema is not None:
            expected = filled(record.value_schema, line="foo", data_source="test-file-source")
        assert record.value == expected


def test_insert_field_with_schema_adds_metadata_fields() -> None:
    schema = struct([("magic", INT64)], name="name")
    insert = smt(
        "InsertField$Value",
        topic_field="topic_field!",
        partition_field="partition_field",
        offset_field="offset_field!",
        timestamp_field="timestamp_field?",
        static_field="instance_id",
        static_value="my-instance-id",
    )
    record = insert.apply(sink(filled(schema, magic=42), schema))
    assert record is not None and record.value_schema is not None
    fields = {f.name: f.schema for f in record.value_schema.fields}
    assert record.value_schema.name == "name"
    assert fields["topic_field"] == STRING
    assert fields["partition_field"] == OPTIONAL_INT32
    assert fields["offset_field"] == INT64
    assert fields["timestamp_field"] == logical.OPTIONAL_TIMESTAMP
    assert fields["instance_id"] == OPTIONAL_STRING
    value = record.value
    assert value.get("magic") == 42 and value.get("topic_field") == "test"  # type: ignore[attr-defined]
    assert value.get("offset_field") == 42  # type: ignore[attr-defined]
    assert value.get("timestamp_field") == logical.timestamp_from_millis(TS)  # type: ignore[attr-defined]


def test_insert_field_schemaless_uses_raw_timestamp_and_needs_sink_for_offset() -> None:
    insert = smt("InsertField$Value", timestamp_field="ts", offset_field="off")
    record = insert.apply(sink({"magic": 42}))
    assert record is not None and record.value == {"magic": 42, "ts": TS, "off": 42}
    with pytest.raises(DataException, match="SinkRecord"):
        insert.apply(source({"magic": 42}))
    assert insert.apply(sink(None)) == sink(None)  # tombstones pass


def test_insert_field_key_variant_touches_only_the_key() -> None:
    insert = smt("InsertField$Key", topic_field="t")
    record = SinkRecord(topic="orders", key={"id": 1}, value="v")
    result = insert.apply(record)
    assert result is not None and result.key == {"id": 1, "t": "orders"} and result.value == "v"


def test_replace_field_include_exclude_rename() -> None:
    replace = smt("ReplaceField$Value", exclude="dont", renames="abc:xyz,foo:bar")
    record = replace.apply(sink({"dont": "whatever", "abc": 42, "foo": True, "etc": "etc"}))
    assert record is not None and record.value == {"xyz": 42, "bar": True, "etc": "etc"}
    schema = struct([("dont", STRING), ("abc", INT32), ("foo", BOOLEAN), ("etc", STRING)])
    value = filled(schema, dont="whatever", abc=42, foo=True, etc="etc")
    keep = smt("ReplaceField$Value", include="abc,foo", renames="abc:xyz")
    result = keep.apply(sink(value, schema))
    assert result is not None and result.value_schema is not None
    assert [f.name for f in result.value_schema.fields] == ["xyz", "foo"]
    assert result.value == filled(result.value_schema, xyz=42, foo=True)


def test_replace_field_rejects_bad_rename_mapping() -> None:
    with pytest.raises(InvalidConnectorConfig) as caught:
        smt("ReplaceField$Value", renames="a:b:c")
    assert caught.value.field_errors == {
        "renames": [
            "Invalid value [a:b:c] for configuration renames: Invalid rename mapping: a:b:c"
        ]
    }


def test_mask_field_schemaless_and_with_schema() -> None:
    value = {
        "int": 42,
        "bool": True,
        "str": "hi",
        "dec": decimal.Decimal("1.5"),
        "list": [1],
        "map": {"a": 1},
        "ts": logical.EPOCH + dt.timedelta(days=1),
    }
    mask = smt("MaskField$Value", fields="int,bool,str,dec,list,map,ts,missing")
    record = mask.apply(sink(value))
    assert record is not None and record.value == {
        "int": 0,
        "bool": False,
        "str": "",
        "dec": decimal.Decimal(0),
        "list": [],
        "map": {},
        "ts": logical.EPOCH,
        "missing": None,
    }
    schema = struct([("magic", INT32), ("name", STRING)])
    masked = smt("MaskField$Value", fields="magic", replacement="-1").apply(
        sink(filled(schema, magic=42, name="x"), schema)
    )
    assert masked is not None and masked.value == filled(schema, magic=-1, name="x")


def test_mask_field_replacement_errors() -> None:
    mask = smt("MaskField$Value", fields="flag", replacement="x")
    with pytest.raises(DataException):
        mask.apply(sink({"flag": True}))
    with pytest.raises(DataException, match="Unable to convert"):
        smt("MaskField$Value", fields="n", replacement="abc").apply(sink({"n": 5}))
    with pytest.raises(InvalidConnectorConfig, match="Empty list"):
        smt("MaskField$Value", fields="")


def test_value_to_key() -> None:
    to_key = smt("org.apache.kafka.connect.transforms.ValueToKey", fields="a,b")
    record = to_key.apply(sink({"a": 1, "b": 2, "c": 3}))
    assert record is not None and record.key == {"a": 1, "b": 2} and record.key_schema is None
    schema = struct([("a", INT32), ("b", INT32), ("c", INT32)])
    result = to_key.apply(sink(filled(schema, a=1, b=2, c=3), schema))
    assert result is not None and result.key_schema == struct([("a", INT32), ("b", INT32)])
    assert result.key == filled(result.key_schema, a=1, b=2)
    with pytest.raises(DataException, match="Field does not exist"):
        smt("ValueToKey", fields="zz").apply(sink(filled(schema, a=1, b=2, c=3), schema))


def test_extract_field() -> None:
    extract = smt("ExtractField$Key", field="magic")
    record = SinkRecord(topic="t", key={"magic": 42})
    assert extract.apply(record).key == 42  # type: ignore[union-attr]
    schema = struct([("magic", INT32)])
    typed = extract.apply(SinkRecord(topic="t", key_schema=schema, key=filled(schema, magic=42)))
    assert typed is not None and (typed.key_schema, typed.key) == (INT32, 42)
    tombstone = extract.apply(SinkRecord(topic="t", key_schema=schema, key=None))
    assert tombstone is not None and (tombstone.key_schema, tombstone.key) == (INT32, None)
    with pytest.raises(DataException, match="Unknown field"):
        smt("ExtractField$Key", field="nope").apply(
            SinkRecord(topic="t", key_schema=schema, key=filled(schema, magic=1))
        )


def test_extract_nested_field_with_v2_syntax() -> None:
    inner = struct([("c.d", INT32)])
    outer = struct([("a", inner)])
    value = filled(outer, a=filled(inner, **{"c.d": 7}))
    extract = smt("ExtractField$Value", field="a.`c.d`", field_syntax_version="V2")
    record = extract.apply(sink(value, outer))
    assert record is not None and (record.value_schema, record.value) == (INT32, 7)
    assert extract.apply(sink({"a": {"c.d": 8}})).value == 8  # type: ignore[union-attr]


def test_hoist_field_with_schema() -> None:
    hoist = smt("HoistField$Key", field="magic")
    record = hoist.apply(SinkRecord(topic="t", key_schema=INT32, key=42))
    assert record is not None and record.key_schema == struct([("magic", INT32)])
    assert record.key == filled(record.key_schema, magic=42)
    assert hoist.apply(SinkRecord(topic="t", key=42)).key == {"magic": 42}  # type: ignore[union-attr]


def test_missing_required_config_names_the_key() -> None:
    with pytest.raises(InvalidConnectorConfig) as caught:
        smt("HoistField$Value")
    assert caught.value.field_errors == {
        "field": ['Missing required configuration "field" which has no default value.']
    }


def test_replace_null_with_default_option() -> None:
    schema = struct([("a", OPTIONAL_INT64.with_default(7)), ("b", INT32)])
    value = filled(schema, b=1)
    keep_defaults = smt("ReplaceField$Value", exclude="b").apply(sink(value, schema))
    assert keep_defaults is not None and keep_defaults.value.get_without_default("a") == 7  # type: ignore[attr-defined]
    raw = smt("ReplaceField$Value", exclude="b", replace_null_with_default="false").apply(
        sink(value, schema)
    )
    assert raw is not None and raw.value.get_without_default("a") is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("alias", "configs", "passes"),
    [
        # Which SMTs let a null value (tombstone) through unchanged, as in Kafka.
        ("InsertField$Value", {"topic.field": "t"}, True),
        ("ReplaceField$Value", {"exclude": "a"}, True),
        ("Cast$Value", {"spec": "a:int8"}, True),
        ("Flatten$Value", {}, True),
        ("MaskField$Value", {"fields": "a"}, False),
        ("ValueToKey", {"fields": "a"}, False),
        ("HeaderFrom$Value", {"fields": "a", "headers": "h", "operation": "copy"}, False),
    ],
)
def test_tombstone_handling_matches_kafka(
    alias: str, configs: dict[str, object], passes: bool
) -> None:
    transformation = TRANSFORMATIONS[alias]()
    transformation.configure(configs)
    schema = struct([("a", OPTIONAL_INT32)], optional=True)
    for record in (sink(None), sink(None, schema)):
        if passes:
            assert transformation.apply(record) == record
        else:
            with pytest.raises(DataException):
                transformation.apply(record)


def test_derived_struct_schemas_are_required_as_in_kafka() -> None:
    # SchemaUtil.copySchemaBasics copies no optionality: InsertField's output is required.
    schema = struct([("a", INT32)], optional=True)
    record = smt("InsertField$Value", topic_field="t").apply(sink(filled(schema, a=1), schema))
    assert record is not None and record.value_schema is not None
    assert not record.value_schema.optional
    cast = smt("Cast$Value", spec="a:string").apply(sink(filled(schema, a=1), schema))
    assert cast is not None and cast.value_schema is not None and cast.value_schema.optional


def test_inserting_an_existing_field_name_is_a_data_error() -> None:
    schema = struct([("t", STRING)])
    with pytest.raises(DataException, match="duplication t"):
        smt("InsertField$Value", topic_field="t").apply(sink(filled(schema, t="x"), schema))
