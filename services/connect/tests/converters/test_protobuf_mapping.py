"""Connect schemas and values <-> .proto files and messages (protobuf_data / _values /
_compile), without a registry: Confluent's .proto shapes, protoc accepting what we print, and
round trips of generated schemas and values."""

from __future__ import annotations

import datetime as dt
import decimal
import string
from typing import Any

import pytest
from connect_strategies import values_for
from google.protobuf import timestamp_pb2
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal.serde.proto_text import proto_text
from kanal_connect.converters.protobuf_compile import compile_schema
from kanal_connect.converters.protobuf_data import TAG_PARAMETER, proto_file
from kanal_connect.converters.protobuf_schema_reader import connect_schema
from kanal_connect.converters.protobuf_values import fill_message, struct_from_message
from kanal_connect.data import Schema, SchemaType, Struct, array, logical, map_of, struct
from kanal_connect.data import schema as s
from kanal_connect.errors import DataException


def round_trip(schema: Schema, value: Struct) -> tuple[Schema, Struct]:
    """Write `value` as the message our mapping makes, parse the bytes, map them back."""
    mapped = proto_file(schema)
    compiled = compile_schema(proto_text(mapped.file))
    descriptor = compiled.descriptor_named(mapped.message_name)
    message = compiled.message_class(descriptor)()
    fill_message(message, schema, value)
    parsed = compiled.parse(descriptor, message.SerializeToString())
    read_schema = connect_schema(descriptor)
    return read_schema, struct_from_message(read_schema, parsed)


def test_a_struct_prints_as_confluents_proto3_message() -> None:
    schema = struct(
        [("id", s.INT64), ("tags", array(s.STRING)), ("attrs", map_of(s.STRING, s.INT32)),
         ("at", logical.TIMESTAMP)],
        name="shop.Order",
    )  # fmt: skip
    text = proto_text(proto_file(schema).file)
    assert text.splitlines() == [
        'syntax = "proto3";',
        "package shop;",
        'import "google/protobuf/timestamp.proto";',
        "message Order {",
        "  int64 id = 1;",
        "  repeated string tags = 2;",
        "  map<string, int32> attrs = 3;",
        "  .google.protobuf.Timestamp at = 4;",
        "}",
    ]


def test_tags_come_from_the_tag_parameter_and_read_back_as_it() -> None:
    tagged = s.STRING.with_metadata(parameters={TAG_PARAMETER: "7"})
    schema = struct([("a", s.INT32), ("b", tagged), ("c", s.BOOLEAN)], name="T")
    numbers = {f.name: f.number for f in proto_file(schema).file.message_type[0].field}
    assert numbers == {"a": 1, "b": 7, "c": 2}
    read_schema, _ = round_trip(schema, Struct(schema).put("a", 1).put("b", "x").put("c", True))
    assert [f.schema.parameters for f in read_schema.fields] == [
        {TAG_PARAMETER: "1"}, {TAG_PARAMETER: "7"}, {TAG_PARAMETER: "2"}
    ]  # fmt: skip


def test_logical_values_become_well_known_messages_and_back() -> None:
    schema = struct([
        ("at", logical.TIMESTAMP), ("day", logical.DATE), ("time", logical.TIME),
        ("price", logical.decimal_schema(2)),
    ], name="L")  # fmt: skip
    value = (
        Struct(schema)
        .put("at", dt.datetime(1969, 12, 31, 23, 59, 59, 999_000, tzinfo=dt.UTC))
        .put("day", dt.date(2024, 2, 29))
        .put("time", dt.time(23, 59, 58, 7000))
        .put("price", decimal.Decimal("-12.34"))
    )
    _, back = round_trip(schema, value)
    assert dict(back.items()) == dict(value.items())
    mapped = proto_file(schema)
    compiled = compile_schema(proto_text(mapped.file))
    message: Any = compiled.message_class(compiled.descriptor_named("L"))()
    fill_message(message, schema, value)
    at = timestamp_pb2.Timestamp.FromString(message.at.SerializeToString())
    assert (at.seconds, at.nanos) == (-1, 999_000_000)


def test_optional_primitives_use_wrappers_when_asked() -> None:
    schema = struct([("n", s.OPTIONAL_INT32), ("name", s.OPTIONAL_STRING)], name="W")
    text = proto_text(proto_file(schema, wrap_nullables=True).file)
    assert ".google.protobuf.Int32Value n = 1;" in text
    compiled = compile_schema(text)
    descriptor = compiled.descriptor_named("W")
    message = compiled.message_class(descriptor)()
    fill_message(message, schema, Struct(schema).put("n", 0))
    read_schema = connect_schema(descriptor, wrap_nullables=True)
    back = struct_from_message(read_schema, message)
    assert (back.get("n"), back.get("name")) == (0, None)  # a wrapped 0 is not a null


def test_a_message_from_elsewhere_reads_with_oneofs_enums_and_unsigned() -> None:
    compiled = compile_schema("""
        syntax = "proto3";
        package ext;
        message Event {
          enum Kind { UNKNOWN = 0; CLICK = 1; }
          Kind kind = 1;
          oneof payload { string text = 2; int64 count = 3; }
          uint64 big = 4;
          optional string note = 5;
        }
    """)
    descriptor = compiled.descriptor_named("ext.Event")
    message = compiled.message_class(descriptor)(kind=1, count=5, big=2**64 - 1)
    schema = connect_schema(descriptor)
    assert [f.name for f in schema.fields] == ["payload_0", "kind", "big", "note"]
    value = struct_from_message(schema, message)
    payload = value.get("payload_0")
    assert isinstance(payload, Struct)
    assert (payload.get("count"), payload.get("text")) == (5, None)
    assert (value.get("kind"), value.get("big"), value.get("note")) == ("CLICK", -1, None)
    # and written back through the same schema
    again = compiled.message_class(descriptor)()
    fill_message(again, schema, value)
    assert again == message


def test_non_struct_roots_and_nested_arrays_have_no_proto_form() -> None:
    with pytest.raises(DataException):
        proto_file(s.STRING)
    with pytest.raises(DataException):
        proto_file(struct([("a", array(array(s.INT32)))]))


def test_a_recursive_message_is_refused() -> None:
    compiled = compile_schema('syntax = "proto3"; message Node { Node next = 1; }')
    with pytest.raises(DataException):
        connect_schema(compiled.descriptor_named("Node"))


def test_bad_proto_text_is_a_data_exception() -> None:
    with pytest.raises(DataException):
        compile_schema("syntax = 'proto3'; message {")


# ---- properties --------------------------------------------------------------------------------

_identifiers = st.text(string.ascii_lowercase, min_size=1, max_size=6).map(lambda n: "f_" + n)
_scalars = [SchemaType.INT8, SchemaType.INT16, SchemaType.INT32, SchemaType.INT64,
            SchemaType.FLOAT32, SchemaType.FLOAT64, SchemaType.BOOLEAN, SchemaType.STRING,
            SchemaType.BYTES]  # fmt: skip
_leaves = st.builds(
    lambda kind, optional: Schema(kind, optional=optional), st.sampled_from(_scalars),
    st.booleans(),
) | st.sampled_from([logical.decimal_schema(3), logical.DATE, logical.TIME, logical.TIMESTAMP,
                     logical.OPTIONAL_TIMESTAMP])  # fmt: skip
_map_keys = st.sampled_from([s.STRING, s.INT32, s.INT64, s.BOOLEAN])


_required_leaves = _leaves.map(lambda leaf: leaf.with_optional(False))


def _structs(children: st.SearchStrategy[Schema]) -> st.SearchStrategy[Schema]:
    fields = st.lists(st.tuples(_identifiers, children), min_size=1, max_size=3,
                      unique_by=lambda pair: pair[0])
    names = st.none() | st.sampled_from(["Alpha", "Beta"])
    return st.builds(lambda f, n, o: struct(f, name=n, optional=o), fields, names, st.booleans())


def _containers(elements: st.SearchStrategy[Schema]) -> st.SearchStrategy[Schema]:
    """Arrays and maps of required elements (proto has no null list items or map values)."""
    return elements.map(array) | st.builds(map_of, _map_keys, elements)


# Two levels of nesting, written out: st.recursive's repr grows past Hypothesis' warning size.
_inner_structs = _structs(_leaves | _containers(_required_leaves))
_field_schemas = (
    _leaves | _inner_structs
    | _containers(_required_leaves | _inner_structs.map(lambda c: c.with_optional(False)))
)  # fmt: skip
_roots = st.lists(st.tuples(_identifiers, _field_schemas), min_size=1, max_size=5,
                  unique_by=lambda pair: pair[0]).map(lambda f: struct(f, name="pkg.Root"))


def _expected(schema: Schema, value: object) -> object:
    """What a value reads back as: proto3 has no null scalars (zero values instead), no null
    lists or maps (empty ones), and structs compare by field values."""
    if value is None:
        if schema.name in logical.LOGICAL_NAMES or schema.type is SchemaType.STRUCT:
            return None
        zeros = {SchemaType.FLOAT32: 0.0, SchemaType.FLOAT64: 0.0, SchemaType.BOOLEAN: False,
                 SchemaType.STRING: "", SchemaType.BYTES: b"", SchemaType.ARRAY: [],
                 SchemaType.MAP: {}}  # fmt: skip
        return zeros.get(schema.type, 0)
    if isinstance(value, Struct):
        return {f.name: _expected(f.schema, value.get(f.name)) for f in schema.fields}
    if isinstance(value, list):
        assert schema.value_schema is not None
        return [_expected(schema.value_schema, item) for item in value]
    if isinstance(value, dict):
        assert schema.value_schema is not None
        return {k: _expected(schema.value_schema, v) for k, v in value.items()}
    return value


def _plain(value: object) -> object:
    if isinstance(value, Struct):
        return {name: _plain(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@settings(max_examples=60, deadline=None)
@given(_roots.flatmap(lambda root: st.tuples(st.just(root), values_for(root))))
def test_every_mappable_value_survives_a_message(pair: tuple[Schema, Struct]) -> None:
    schema, value = pair
    read_schema, back = round_trip(schema, value)
    assert [f.name for f in read_schema.fields] == [f.name for f in schema.fields]
    assert _plain(back) == _expected(schema, value)


@pytest.mark.parametrize(
    ("field_schema", "value"),
    [
        (s.INT32, "1"),
        (s.BOOLEAN, 1),
        (s.STRING, b"x"),
        (array(s.INT32), [1, None]),
        (map_of(s.STRING, s.INT32), {"a": None}),
        (logical.decimal_schema(1), decimal.Decimal("NaN")),
    ],
)
def test_values_that_do_not_fit_their_field_are_data_exceptions(
    field_schema: Schema, value: object
) -> None:
    schema = Schema(SchemaType.STRUCT, name="Bad", fields=(s.Field("f", 0, field_schema),))
    mapped = proto_file(schema)
    compiled = compile_schema(proto_text(mapped.file))
    message = compiled.message_class(compiled.descriptor_named("Bad"))()
    with pytest.raises(DataException):
        fill_message(message, schema, Struct.trusted(schema, [value]))
