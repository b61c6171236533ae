"""Connect <-> Avro mapping of the AvroConverter (avro_data.py, avro_to_connect.py,
avro_values.py): Confluent's AvroData conventions, schemas written by others, and a property
test that every Connect schema and value comes back unchanged. No registry: the format part of
the converter is driven directly."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json
import string
from typing import Any

import pytest
from connect_strategies import json_documents, values_for
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal.serde.schema_types import Schema as RegistrySchema
from kanal_connect.converters.avro_converter import AvroConverter
from kanal_connect.converters.base import SchemaAndValue
from kanal_connect.data import (
    BOOLEAN,
    BYTES,
    FLOAT32,
    FLOAT64,
    INT8,
    INT16,
    INT32,
    INT64,
    OPTIONAL_INT32,
    OPTIONAL_STRING,
    STRING,
    Schema,
    SchemaType,
    Struct,
    array,
    logical,
    map_of,
    struct,
)
from kanal_connect.errors import DataException

from .avro_samples import EVERY_TYPE, every_type_value


def converter(**settings: str) -> AvroConverter:
    made = AvroConverter()
    made.configure({"schema.registry.url": "http://127.0.0.1:9", **settings}, False)
    return made


def avro_of(schema: Schema, **settings: str) -> Any:
    return json.loads(converter(**settings).writer_schema(schema).registry.schema_str)


def round_trip(schema: Schema | None, value: object) -> tuple[Schema | None, SchemaAndValue]:
    conv = converter()
    written = conv.writer_schema(schema)
    payload = conv.encode(written.parsed, schema, value)
    read = conv.parse_registry_schema(written.registry, {})
    return read.connect_schema, conv.decode(read, memoryview(payload))


def read_foreign(avro: object, payload: bytes) -> SchemaAndValue:
    conv = converter()
    codec = conv.parse_registry_schema(RegistrySchema(json.dumps(avro)), {})
    return conv.decode(codec, memoryview(payload))


def test_every_connect_type_round_trips() -> None:
    value = every_type_value()
    schema, read = round_trip(EVERY_TYPE, value)
    assert schema == EVERY_TYPE
    assert read == SchemaAndValue(EVERY_TYPE, value)


def test_a_null_field_with_a_default_is_written_as_the_default() -> None:
    value = every_type_value().put("maybe_fallback", None)
    _schema, read = round_trip(EVERY_TYPE, value)
    assert isinstance(read.value, Struct) and read.value.get("maybe_fallback") == 5


@pytest.mark.parametrize(
    ("schema", "value"),
    [(INT8, 5), (STRING, "s"), (BYTES, b"b"), (array(INT64), [1, 2]),
     (map_of(STRING, FLOAT64), {"a": 1.0}), (logical.DATE, dt.date(1969, 12, 31)),
     (OPTIONAL_STRING, None), (OPTIONAL_STRING, "x")],
)  # fmt: skip
def test_top_level_non_structs_round_trip(schema: Schema, value: object) -> None:
    assert round_trip(schema, value) == (schema, SchemaAndValue(schema, value))


def test_confluents_conventions() -> None:
    avro = avro_of(EVERY_TYPE)
    types = {f["name"]: f["type"] for f in avro["fields"]}
    defaults = {f["name"]: f.get("default", "absent") for f in avro["fields"]}
    assert avro["name"] == "kanal.test.Row" and avro["connect.name"] == "kanal.test.Row"
    assert types["i8"] == {"type": "int", "connect.type": "int8"}
    assert types["maybe"] == ["null", "int"] and defaults["maybe"] is None
    assert types["maybe_fallback"] == [{"type": "long", "connect.default": 5}, "null"]
    assert defaults["maybe_fallback"] == 5 and defaults["inner"] == "absent"
    assert types["by_number"]["items"]["name"] == "io.confluent.connect.avro.MapEntry"
    assert types["amount"] == {
        "type": "bytes", "scale": 2, "precision": 64, "logicalType": "decimal",
        "connect.version": 1, "connect.parameters": {"scale": "2"},
        "connect.name": "org.apache.kafka.connect.data.Decimal"}  # fmt: skip
    assert types["at"]["logicalType"] == "timestamp-millis"
    assert types["maybe_inner"] == ["null", "kanal.test.Inner"]  # defined once, then named
    assert types["unnamed"][1]["name"] == "io.confluent.connect.avro.ConnectDefault"
    unnamed = avro_of(struct([("a", INT32)]))
    assert unnamed["name"] == "io.confluent.connect.avro.ConnectDefault"
    assert "connect.name" not in unnamed


def test_metadata_off_keeps_only_the_types() -> None:
    doc = STRING.with_metadata(name="kanal.Text", version=3, doc="d", parameters={"p": "v"})
    assert avro_of(doc) == {"type": "string", "connect.doc": "d", "connect.version": 3,
                            "connect.parameters": {"p": "v"}, "connect.name": "kanal.Text"}
    assert avro_of(doc, **{"connect.meta.data": "false"}) == "string"


def test_enums_read_as_strings_and_are_written_back_with_enhanced_support() -> None:
    enum = {"type": "enum", "name": "kanal.Suit", "symbols": ["HEARTS", "SPADES"]}
    read = read_foreign(enum, b"\x02")
    assert read.value == "SPADES"
    assert read.schema is not None and read.schema.parameters == {
        "io.confluent.connect.avro.Enum": "kanal.Suit",
        "io.confluent.connect.avro.Enum.HEARTS": "HEARTS",
        "io.confluent.connect.avro.Enum.SPADES": "SPADES",
    }
    again = avro_of(read.schema, **{"enhanced.avro.schema.support": "true"})
    assert {k: again[k] for k in ("type", "name", "symbols")} == enum
    assert avro_of(read.schema)["type"] == "string"


def test_general_unions_become_union_structs_and_back() -> None:
    avro = {"type": "record", "name": "kanal.U", "fields": [
        {"name": "u", "type": ["null", "int", "string",
                               {"type": "record", "name": "kanal.R", "fields": [
                                   {"name": "x", "type": "long"}]}]}]}  # fmt: skip
    read = read_foreign(avro, b"\x04\x04hi")  # branch 2: "string", "hi"
    assert read.schema is not None and isinstance(read.value, Struct)
    union = read.value.get("u")
    assert isinstance(union, Struct) and union.get("string") == "hi" and union.get("int") is None
    union_schema = read.schema.fields[0].schema
    assert union_schema.name == "io.confluent.connect.avro.Union" and union_schema.optional
    assert [f.name for f in union_schema.fields] == ["int", "string", "R"]
    record = read_foreign(avro, b"\x06\x0e")  # branch 3: the record, x = 7
    assert isinstance(record.value, Struct)
    assert record.value.get("u") == Struct(union_schema).put(
        "R", Struct(union_schema.fields[2].schema).put("x", 7))
    assert round_trip(read.schema, record.value) == (read.schema, record)


def test_foreign_logical_types_docs_and_defaults() -> None:
    avro = {"type": "record", "name": "kanal.F", "doc": "a record", "fields": [
        {"name": "d", "type": {"type": "int", "logicalType": "date"}},
        {"name": "m", "type": {"type": "bytes", "logicalType": "decimal", "precision": 5,
                               "scale": 1}},
        {"name": "f", "type": {"type": "fixed", "name": "kanal.Four", "size": 4}},
        {"name": "n", "type": "long", "default": 42, "doc": "the n"},
        {"name": "us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
    ]}  # fmt: skip
    read = read_foreign(avro, b"\x02\x04\x01\x01abcd\x00\x02")
    assert read.schema is not None
    fields = {f.name: f.schema for f in read.schema.fields}
    assert fields["d"] == logical.DATE and fields["f"] == BYTES and fields["us"] == INT64
    assert fields["m"].name == logical.DECIMAL_NAME
    assert fields["m"].parameters == {"scale": "1", "connect.decimal.precision": "5"}
    assert fields["n"].default == 42
    assert fields["n"].parameters == {"io.confluent.connect.avro.field.default": "true"}
    assert read.schema.parameters == {
        "io.confluent.connect.avro.record.doc": "a record",
        "io.confluent.connect.avro.field.doc.n": "the n",
    }
    assert isinstance(read.value, Struct)
    assert read.value.get("d") == dt.date(1970, 1, 2)
    assert read.value.get("m") == decimal.Decimal("25.7")
    assert (read.value.get("f"), read.value.get("n"), read.value.get("us")) == (b"abcd", 0, 1)


@pytest.mark.parametrize(
    ("schema", "value", "message"),
    [(STRING, 5, "Avro"), (INT32, 2**40, "range"), (EVERY_TYPE, "not a struct", "Struct"),
     (logical.decimal_schema(2), decimal.Decimal("1.5"), "scale")],
)  # fmt: skip
def test_values_that_do_not_fit_raise_data_exception(
    schema: Schema, value: object, message: str
) -> None:
    conv = converter()
    written = conv.writer_schema(schema)
    with pytest.raises(DataException, match=message):
        conv.encode(written.parsed, schema, value)


def test_schemas_avro_cannot_hold_are_refused() -> None:
    with pytest.raises(DataException):
        converter().writer_schema(struct([("bad-name", INT32)]))
    with pytest.raises(DataException, match="twice"):
        converter().writer_schema(struct([
            ("a", struct([("x", INT32)], name="kanal.Same")),
            ("b", struct([("y", INT32)], name="kanal.Same"))]))  # fmt: skip


def test_schemaless_values_travel_in_confluents_anything_record() -> None:
    written = converter().writer_schema(None)
    avro = json.loads(written.registry.schema_str)
    assert avro["name"] == "io.confluent.connect.avro.Anything" and written.record_name == (
        "io.confluent.connect.avro.Anything")
    assert [f["name"] for f in avro["fields"]] == [
        "boolean", "bytes", "double", "float", "int", "long", "string", "array", "map"]
    value = {"a": [1, "two", 3.5, None, b"\x00", True], "b": {"nested": False}}
    assert round_trip(None, value) == (None, SchemaAndValue(None, value))
    # A record Confluent wrote: {"int": 5} (its Java writes Integer as "int").
    read = read_foreign(avro, b"\x00\x00\x00\x00\x02\x0a\x00\x00\x00\x00")
    assert read == SchemaAndValue(None, 5)


@settings(max_examples=100, deadline=None)
@given(json_documents.filter(lambda document: document is not None))
def test_schemaless_documents_round_trip(document: object) -> None:
    assert round_trip(None, document) == (None, SchemaAndValue(None, document))


# ---- property: any Connect schema and value survive Connect -> Avro -> Connect ----------

_names = st.text(string.ascii_letters + "_", min_size=1, max_size=6)
_leaves = st.sampled_from([
    INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES, OPTIONAL_INT32,
    OPTIONAL_STRING, logical.decimal_schema(3), logical.DATE, logical.TIME, logical.TIMESTAMP,
    logical.OPTIONAL_TIMESTAMP, Schema(SchemaType.INT32, default=7),
    Schema(SchemaType.STRING, optional=True, default="d"),
])  # fmt: skip


def _structs(children: st.SearchStrategy[Schema]) -> st.SearchStrategy[Schema]:
    fields = st.lists(st.tuples(_names, children), min_size=1, max_size=4,
                      unique_by=lambda pair: pair[0])
    return st.tuples(fields, st.booleans()).map(lambda p: struct(p[0], optional=p[1]))


_schemas = st.recursive(
    _leaves,
    lambda children: (
        st.builds(array, children, optional=st.booleans())
        | st.builds(map_of, st.sampled_from([STRING, INT32, OPTIONAL_STRING]), children,
                    optional=st.booleans())
        | _structs(children)
    ),
    max_leaves=8,
)


def _distinct_unnamed(schema: Schema) -> bool:
    """Avro cannot hold two different records of the same name; Connect can (MapEntry)."""
    entries = []

    def walk(node: Schema) -> None:
        if node.type is SchemaType.MAP and node.key_schema is not None:
            if not (node.key_schema.type is SchemaType.STRING and not node.key_schema.optional):
                entries.append((node.key_schema, node.value_schema))
            walk(node.key_schema)
        for child in (node.value_schema, *(f.schema for f in node.fields)):
            if child is not None:
                walk(child)

    walk(schema)
    return len(set(entries)) <= 1


@pytest.mark.filterwarnings("ignore:Generating overly large repr")  # deep schemas print long
@settings(max_examples=150, deadline=None)
@given(st.data(), _schemas.filter(_distinct_unnamed))
def test_connect_avro_connect_round_trip_is_the_identity(
    data: st.DataObject, schema: Schema
) -> None:
    value = data.draw(values_for(schema))
    if value is None:  # a top-level null is a tombstone, never encoded
        return
    read_schema, read = round_trip(schema, value)
    assert read_schema == schema
    assert read.value == _with_defaults(schema, value)


def _with_defaults(schema: Schema, value: object) -> object:
    """What Confluent's AvroData writes: a null struct field with a default becomes the
    default (Struct.get); nulls elsewhere stay null."""
    if isinstance(value, Struct):
        filled = Struct(value.schema)
        for f in schema.fields:
            filled.put(f.name, _with_defaults(f.schema, value.get(f.name)))
        return filled
    if isinstance(value, tuple | list):
        assert schema.value_schema is not None
        return [_with_defaults(schema.value_schema, item) for item in value]
    if isinstance(value, dict):
        assert schema.value_schema is not None
        return {k: _with_defaults(schema.value_schema, v) for k, v in value.items()}
    return value


_avro_names = st.sampled_from(["a", "b", "kanal.R", "io.confluent.connect.avro.MapEntry"])
_avro_json = st.recursive(
    st.sampled_from(["null", "int", "long", "string", "bytes", "float", "boolean", "kanal.R"])
    | st.builds(lambda t, lt: {"type": t, "logicalType": lt},
                st.sampled_from(["int", "long", "bytes"]),
                st.sampled_from(["date", "decimal", "time-millis", "timestamp-millis", "x"])),
    lambda children: (
        st.lists(children, min_size=1, max_size=3)
        | st.builds(lambda items: {"type": "array", "items": items}, children)
        | st.builds(lambda values: {"type": "map", "values": values}, children)
        | st.builds(lambda name, fields: {"type": "record", "name": name, "fields": [
            {"name": n, "type": t} for n, t in fields]},
            _avro_names, st.lists(st.tuples(st.sampled_from(["key", "value", "x"]), children),
                                  max_size=3, unique_by=lambda p: p[0]))
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(_avro_json)
def test_any_avro_schema_reads_and_writes_back_or_raises_data_exception(avro: object) -> None:
    conv = converter()
    try:
        codec = conv.parse_registry_schema(RegistrySchema(json.dumps(avro)), {})
    except DataException:
        return
    with contextlib.suppress(DataException):
        conv.writer_schema(codec.connect_schema)
