"""The compiled struct writer (json_struct_writer) against the generic `to_json` text, when
one writer serves many values in a row (its per-field memo of the last string is then hit
and missed), for field names that are not identifiers, and for a Debezium event."""

from __future__ import annotations

import decimal

from connect_strategies import values_for
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal_connect.converters import jackson
from kanal_connect.converters.json_prepared import prepare_writer
from kanal_connect.converters.json_values import JsonValueOptions, to_json
from kanal_connect.data import Schema, SchemaType, Struct, struct
from kanal_connect.data.schema import OPTIONAL_INT64, OPTIONAL_STRING, STRING
from kanal_connect.errors import DataException

_FIELD_TYPES = [STRING, OPTIONAL_STRING, OPTIONAL_INT64, Schema(SchemaType.INT8),
                Schema(SchemaType.BOOLEAN, optional=True)]
_NAMES = st.text(min_size=1, max_size=6)  # quotes, backslashes, newlines, non-ASCII
_structs = st.lists(
    st.tuples(_NAMES, st.sampled_from(_FIELD_TYPES)), min_size=0, max_size=5,
    unique_by=lambda pair: pair[0],
).map(struct)
_SHARED = "shared text"  # one object in many values: the memo's hits


def _field_value(schema: Schema) -> st.SearchStrategy[object]:
    junk = st.sampled_from([None, 7, 2**40, -(2**8), "x", _SHARED, True, 1.5, b"b"])
    return values_for(schema) | st.just(_SHARED) | junk


def _outcome(schema: Schema, value: object, write: object) -> tuple[str, str]:
    assert callable(write)
    try:
        return "value", write(value)
    except DataException as error:
        return "error", str(error)


def _generic(schema: Schema, value: object, options: JsonValueOptions) -> tuple[str, str]:
    return _outcome(schema, value, lambda v: jackson.write_text(to_json(schema, v, options)))


@settings(max_examples=200, deadline=None)
@given(
    _structs.flatmap(lambda schema: st.tuples(
        st.just(schema),
        st.lists(st.tuples(*[_field_value(f.schema) for f in schema.fields]), max_size=6),
    )),
    st.booleans(),
)
def test_one_writer_for_many_values_is_the_generic_text(
    case: tuple[Schema, list[tuple[object, ...]]], replace_null: bool
) -> None:
    schema, rows = case
    options = JsonValueOptions(decimal_numeric=False, replace_null_with_default=replace_null)
    write = prepare_writer(schema, options)
    values = [Struct.trusted(schema, list(row)) for row in rows]
    for value in values + values:  # the second pass meets the same string objects again
        assert _outcome(schema, value, write) == _generic(schema, value, options)


def test_field_names_are_data_never_code() -> None:
    schema = struct([('a"\n)\\', STRING), ("x = 1; import os", OPTIONAL_INT64), ("{}", STRING)])
    value = Struct.trusted(schema, ["é\x00", None, '"'])
    text = prepare_writer(schema, JsonValueOptions(False, False))(value)
    assert text == jackson.write_text(to_json(schema, value, JsonValueOptions(False, False)))
    assert text == '{"a\\"\\n)\\\\":"é\\u0000","x = 1; import os":null,"{}":"\\""}'


def test_an_empty_struct_and_a_nested_one() -> None:
    inner = struct([("d", Schema(SchemaType.BYTES, optional=True))])
    schema = struct([("in", inner.with_optional()), ("n", Schema(SchemaType.FLOAT64))])
    options = JsonValueOptions(False, True)
    empty = struct([])
    assert prepare_writer(empty, options)(Struct.trusted(empty, [])) == "{}"
    for value in (Struct.trusted(schema, [None, 1.5]),
                  Struct.trusted(schema, [Struct.trusted(inner, [b"\x01"]), 2.0]),
                  Struct.trusted(schema, [decimal.Decimal(1), 1.0])):
        assert _outcome(schema, value, prepare_writer(schema, options)) == _generic(
            schema, value, options)
