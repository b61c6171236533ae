"""Hypothesis strategies for Connect schemas and values that fit them."""

from __future__ import annotations

import datetime as dt
import decimal
import string

from hypothesis import strategies as st
from kanal_connect.data import Schema, SchemaType, Struct, array, logical, map_of, struct

_INT_BOUNDS = {
    SchemaType.INT8: 7,
    SchemaType.INT16: 15,
    SchemaType.INT32: 31,
    SchemaType.INT64: 63,
}
_PRIMITIVES = [
    *_INT_BOUNDS,
    SchemaType.FLOAT32,
    SchemaType.FLOAT64,
    SchemaType.BOOLEAN,
    SchemaType.STRING,
    SchemaType.BYTES,
]
names = st.text(string.ascii_letters + "_.", min_size=1, max_size=8)


def _leaf_schemas() -> st.SearchStrategy[Schema]:
    plain = st.builds(
        lambda t, o: Schema(t, optional=o), st.sampled_from(_PRIMITIVES), st.booleans()
    )
    logicals = st.sampled_from(
        [
            logical.decimal_schema(3),
            logical.DATE,
            logical.TIME,
            logical.TIMESTAMP,
            logical.OPTIONAL_DATE,
            logical.OPTIONAL_TIMESTAMP,
        ]
    )
    return plain | logicals


def _struct_of(children: st.SearchStrategy[Schema]) -> st.SearchStrategy[Schema]:
    return st.lists(st.tuples(names, children), max_size=4, unique_by=lambda p: p[0]).map(struct)


schemas: st.SearchStrategy[Schema] = st.recursive(
    _leaf_schemas(),
    lambda children: (
        children.map(array)
        | st.tuples(
            st.sampled_from([Schema(SchemaType.STRING), Schema(SchemaType.INT32)]), children
        ).map(lambda kv: map_of(*kv))
        | _struct_of(children)
    ),
    max_leaves=8,
)


def values_for(schema: Schema) -> st.SearchStrategy[object]:
    """Valid values for `schema` (no NaN, so equality holds after a round trip)."""
    strategy = _required_values(schema)
    return st.none() | strategy if schema.optional else strategy


def _required_values(schema: Schema) -> st.SearchStrategy[object]:
    if schema.name == logical.DECIMAL_NAME:
        return st.integers(-(10**20), 10**20).map(lambda n: decimal.Decimal(n).scaleb(-3))
    if schema.name == logical.DATE_NAME:
        return st.dates()
    if schema.name == logical.TIME_NAME:
        return st.times().map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))
    if schema.name == logical.TIMESTAMP_NAME:
        return st.datetimes(timezones=st.just(dt.UTC)).map(
            lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000, fold=0)
        )
    kind = schema.type
    if kind in _INT_BOUNDS:
        bits = _INT_BOUNDS[kind]
        return st.integers(-(2**bits), 2**bits - 1)
    simple = {
        SchemaType.FLOAT32: st.floats(width=32, allow_nan=False),
        SchemaType.FLOAT64: st.floats(allow_nan=False),
        SchemaType.BOOLEAN: st.booleans(),
        SchemaType.STRING: st.text(),
        SchemaType.BYTES: st.binary(max_size=16),
    }
    if kind in simple:
        return simple[kind]
    if kind is SchemaType.ARRAY:
        assert schema.value_schema is not None
        return st.lists(values_for(schema.value_schema), max_size=3)
    if kind is SchemaType.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        return st.dictionaries(
            _required_values(schema.key_schema), values_for(schema.value_schema), max_size=3
        )
    return st.fixed_dictionaries({f.name: values_for(f.schema) for f in schema.fields}).map(
        lambda fields: _fill(schema, fields)
    )


def _fill(schema: Schema, fields: dict[str, object]) -> Struct:
    value = Struct(schema)
    for name, item in fields.items():
        value.put(name, item)
    return value


schema_and_value = schemas.flatmap(lambda s: st.tuples(st.just(s), values_for(s)))

json_documents = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)
