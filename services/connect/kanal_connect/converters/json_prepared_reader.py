"""Per-schema JSON readers: `to_connect(schema, node)` prepared once per Connect schema.

As with the writers (`json_prepared`), a fast branch takes only JSON nodes whose Connect
value is certain (exact types, in range); every other node goes through the generic
`to_connect` of that sub-node, so values and errors are the generic path's. A struct is
built in `_typed`'s order: field by field, each generic field value validated (as
`Struct.put` does) before the next field is read.
"""

from __future__ import annotations

import decimal

from kanal_connect.converters.json_struct_reader import (
    FieldPlan,
    Inline,
    Reader,
    compile_struct_reader,
)
from kanal_connect.converters.json_values import JsonValueOptions, to_connect
from kanal_connect.data import logical
from kanal_connect.data.schema import Schema, SchemaType
from kanal_connect.data.validation import INT_RANGES, validate_value

_INLINE: dict[SchemaType, Inline] = {
    **dict.fromkeys(INT_RANGES, "int"), SchemaType.STRING: "str",
    SchemaType.BOOLEAN: "bool", SchemaType.FLOAT64: "float64",
}


def prepare_reader(schema: Schema, options: JsonValueOptions) -> Reader:
    """A function from a parsed JSON node to the Connect value of `schema`."""
    return _reader(schema, options, lambda node: to_connect(schema, node, options))


def _reader(schema: Schema, options: JsonValueOptions, generic: Reader) -> Reader:
    """`generic` reads what the fast branches do not take. Fast branches return values
    valid for `schema` by construction (exact class, in range, structs of such values), so
    a struct validates only what came through `generic`."""
    if schema.name in logical.LOGICAL_NAMES:
        return generic
    kind = schema.type
    if kind in INT_RANGES:
        low, high = INT_RANGES[kind]

        def read_int(node: object) -> object:
            if type(node) is int and low <= node <= high:
                return node
            return generic(node)

        return read_int
    if kind is SchemaType.STRING:
        return lambda node: node if type(node) is str else generic(node)
    if kind is SchemaType.BOOLEAN:
        return lambda node: node if node is True or node is False else generic(node)
    if kind is SchemaType.FLOAT64:
        # float() of a Decimal never overflows: it gives the infinity `_as_float` would.
        return lambda node: float(node) if type(node) is decimal.Decimal else generic(node)
    if kind is SchemaType.STRUCT:
        return _struct_reader(schema, options, generic)
    return generic


def _struct_reader(schema: Schema, options: JsonValueOptions, generic: Reader) -> Reader:
    return compile_struct_reader(
        schema, [_field_plan(field.name, field.schema, options) for field in schema.fields],
        generic)


def _field_plan(name: str, schema: Schema, options: JsonValueOptions) -> FieldPlan:
    """A field read inline when its type has a fast branch (the compiled reader then makes
    `_reader`'s test itself, and calls only the checked generic reader when it fails)."""
    kind = schema.type
    inline = None if schema.name in logical.LOGICAL_NAMES else _INLINE.get(kind)
    if inline is None:
        return FieldPlan(name, _checked_reader(name, schema, options), None)
    return FieldPlan(name, _checked_generic(name, schema, options), inline,
                     INT_RANGES.get(kind, (0, -1)))


def _checked_reader(name: str, schema: Schema, options: JsonValueOptions) -> Reader:
    """A field's reader: what `_typed` does per field (read, then validate as Struct.put
    would) for nodes off the fast branches."""
    return _reader(schema, options, _checked_generic(name, schema, options))


def _checked_generic(name: str, schema: Schema, options: JsonValueOptions) -> Reader:
    def generic(node: object) -> object:
        value = to_connect(schema, node, options)
        validate_value(schema, value, name)
        return value

    return generic
