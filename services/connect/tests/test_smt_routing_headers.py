"""RegexRouter, TimestampRouter, Filter, Flatten, HeaderFrom, InsertHeader, DropHeaders."""

from __future__ import annotations

import decimal

import pytest
from kanal_connect.data import (
    BOOLEAN,
    FLOAT32,
    INT8,
    INT16,
    INT32,
    INT64,
    OPTIONAL_INT32,
    STRING,
    ConnectHeader,
    SinkRecord,
    array,
    logical,
    map_of,
    struct,
)
from kanal_connect.errors import DataException, InvalidConnectorConfig
from smt_helpers import filled, sink, smt


@pytest.mark.parametrize(
    ("regex", "replacement", "topic", "expected"),
    [
        ("(.*)", "prefix-$1", "orig", "prefix-orig"),
        ("(.*)-(\\d\\d?)", "$1", "foo-1", "foo"),
        ("(.*)-(\\d\\d?)", "$1", "foo", "foo"),
        ("(.*)-(\\d\\d?)", "$2-$1", "foo-12", "12-foo"),
        ("foo", "bar", "foobar", "foobar"),  # Matcher.matches(): the whole topic must match
        ("(?<name>a)b", "${name}\\$", "ab", "a$"),
    ],
)
def test_regex_router(regex: str, replacement: str, topic: str, expected: str) -> None:
    record = smt("RegexRouter", regex=regex, replacement=replacement).apply(sink(topic=topic))
    assert record is not None and record.topic == expected


def test_regex_router_rejects_bad_regex() -> None:
    with pytest.raises(InvalidConnectorConfig) as caught:
        smt("RegexRouter", regex="(", replacement="x")
    assert list(caught.value.field_errors) == ["regex"]


def test_timestamp_router() -> None:
    record = smt("TimestampRouter").apply(sink(topic="test", timestamp=1_483_425_001_864))
    assert record is not None and record.topic == "test-20170103"
    custom = smt(
        "TimestampRouter", topic_format="${timestamp}_${topic}", timestamp_format="yyyy-MM"
    )
    assert custom.apply(sink(topic="t", timestamp=0)).topic == "1970-01_t"  # type: ignore[union-attr]
    with pytest.raises(DataException, match="Timestamp missing"):
        smt("TimestampRouter").apply(SinkRecord(topic="t"))


def test_filter_drops_everything() -> None:
    assert smt("org.apache.kafka.connect.transforms.Filter").apply(sink("x")) is None


def test_flatten_schemaless_nested_maps() -> None:
    value = {"A": {"B": {"int8": 8, "array": [1, {"x": 1}]}, "c": None}, "d": True}
    record = smt("Flatten$Value").apply(sink(value))
    assert record is not None
    assert record.value == {"A.B.int8": 8, "A.B.array": [1, {"x": 1}], "A.c": None, "d": True}
    underscore = smt("Flatten$Value", delimiter="_").apply(sink({"a": {"b": 1}}))
    assert underscore is not None and underscore.value == {"a_b": 1}


def test_flatten_with_schema_propagates_optionality() -> None:
    leaf = struct([("int8", INT8), ("float32", FLOAT32), ("bools", array(BOOLEAN))])
    middle = struct([("B", leaf)], optional=True)
    top = struct([("A", middle), ("n", INT64)])
    value = filled(top, A=filled(middle, B=filled(leaf, int8=8, float32=1.5, bools=[True])), n=1)
    record = smt("Flatten$Value").apply(sink(value, top))
    assert record is not None and record.value_schema is not None
    fields = {f.name: f.schema for f in record.value_schema.fields}
    assert list(fields) == ["A.B.int8", "A.B.float32", "A.B.bools", "n"]
    assert fields["A.B.int8"].optional and not fields["n"].optional
    assert record.value == filled(
        record.value_schema, **{"A.B.int8": 8, "A.B.float32": 1.5, "A.B.bools": [True], "n": 1}
    )


def test_header_from_move_and_copy_with_schema() -> None:
    schema = struct([("id", INT32), ("name", STRING), ("keep", OPTIONAL_INT32)])
    value = filled(schema, id=1, name="n", keep=5)
    original = ConnectHeader("existing", STRING, "e")
    record = sink(value, schema).new_record(headers=(original,))
    moved = smt(
        "HeaderFrom$Value", fields="id,name", headers="h_id,h_name", operation="move"
    ).apply(record)
    assert moved is not None and moved.value_schema is not None
    assert moved.headers == (
        original,
        ConnectHeader("h_id", INT32, 1),
        ConnectHeader("h_name", STRING, "n"),
    )
    assert [f.name for f in moved.value_schema.fields] == ["keep"]
    copied = smt("HeaderFrom$Value", fields="id", headers="h", operation="copy").apply(record)
    assert (
        copied is not None
        and copied.value == value
        and copied.header("h") == ConnectHeader("h", INT32, 1)
    )


def test_header_from_schemaless_and_config_errors() -> None:
    moved = smt("HeaderFrom$Key", fields="a", headers="h", operation="move").apply(
        SinkRecord(topic="t", key={"a": 1, "b": 2})
    )
    assert (
        moved is not None
        and moved.key == {"b": 2}
        and moved.headers == (ConnectHeader("h", None, 1),)
    )
    with pytest.raises(InvalidConnectorConfig, match="same number of elements"):
        smt("HeaderFrom$Value", fields="a,b", headers="h", operation="copy")
    with pytest.raises(InvalidConnectorConfig, match="String must be one of: move, copy"):
        smt("HeaderFrom$Value", fields="a", headers="h", operation="steal")


@pytest.mark.parametrize(
    ("literal", "schema", "value"),
    [
        ("hello", STRING, "hello"),
        ("42", INT8, 42),
        ("1.0", INT8, 1),
        ("1e3", INT16, 1000),
        ("70000", INT32, 70000),
        ("true", BOOLEAN, True),
        ("True", STRING, "True"),
        ("1.5", FLOAT32, 1.5),
        ("1.1", FLOAT32, 1.100000023841858),
        ("null", None, None),
        ("99999999999999999999", logical.decimal_schema(0), decimal.Decimal(10**20 - 1)),
    ],
)
def test_insert_header_parses_the_literal(literal: str, schema: object, value: object) -> None:
    record = smt("InsertHeader", header="h", value_literal=literal).apply(sink("x"))
    assert record is not None and record.headers == (ConnectHeader("h", schema, value),)  # type: ignore[arg-type]


def test_drop_headers_removes_every_header_with_the_names() -> None:
    headers = (
        ConnectHeader("a", None, 1),
        ConnectHeader("b", None, 2),
        ConnectHeader("a", None, 3),
    )
    record = smt("DropHeaders", headers="a,c").apply(sink("x").new_record(headers=headers))
    assert record is not None and record.headers == (ConnectHeader("b", None, 2),)
    with pytest.raises(InvalidConnectorConfig, match="Missing required configuration"):
        smt("DropHeaders")


def test_flatten_with_schema_takes_defaults_from_parents_and_rejects_maps() -> None:
    inner = struct([("x", OPTIONAL_INT32), ("y", OPTIONAL_INT32.with_default(9))])
    outer_default = filled(inner, x=5)
    top = struct([("in", inner.with_optional().with_default(outer_default))])
    record = smt("Flatten$Value").apply(sink(filled(top), top))
    assert record is not None and record.value_schema is not None
    fields = {f.name: f.schema for f in record.value_schema.fields}
    assert (fields["in.x"].default, fields["in.y"].default) == (5, 9)
    maps = struct([("m", map_of(STRING, INT32))])
    with pytest.raises(DataException, match="does not support MAP"):
        smt("Flatten$Value").apply(sink(filled(maps, m={}), maps))


def test_set_schema_metadata_renames_and_rebuilds_structs() -> None:
    schema = struct([("a", INT32)], name="old")
    record = smt("SetSchemaMetadata$Value", schema_name="new", schema_version=3).apply(
        sink(filled(schema, a=1), schema)
    )
    assert record is not None and record.value_schema is not None
    assert (record.value_schema.name, record.value_schema.version) == ("new", 3)
    assert record.value == filled(record.value_schema, a=1)
    key = smt("org.apache.kafka.connect.transforms.SetSchemaMetadata$Key", schema_version="2")
    keyed = key.apply(SinkRecord(topic="t", key_schema=STRING, key="k"))
    assert keyed is not None and keyed.key_schema is not None and keyed.key_schema.version == 2
    assert key.apply(SinkRecord(topic="t")) == SinkRecord(topic="t")
    with pytest.raises(DataException, match="Schema required"):
        key.apply(SinkRecord(topic="t", key="k"))
    with pytest.raises(InvalidConnectorConfig, match="Neither schema name nor version"):
        smt("SetSchemaMetadata$Value")
