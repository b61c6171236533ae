"""Per-schema JSON readers: `to_connect(schema, node)` prepared once per Connect schema.

As with the writers (`json_prepared`), a fast branch takes only JSON nodes whose Connect
value is certain (exact types, in range); every other node goes through the generic
`to_connect` of that sub-node, so values and errors are the generic path's. A struct is
built in `_typed`'s order: field by field, each generic field value validated (as
`Struct.put` does) before the next field is read.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable

from kanal_connect.converters.json_values import JsonValueOptions, to_connect
from kanal_connect.data import logical
from kanal_connect.data.schema import Schema, SchemaType
from kanal_connect.data.structs import Struct
from kanal_connect.data.validation import INT_RANGES, validate_value

Reader = Callable[[object], object]


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
    members = [(field.name, _checked_reader(field.name, field.schema, options))
               for field in schema.fields]

    def read(node: object) -> object:
        if type(node) is not dict:
            return generic(node)
        return Struct.trusted(schema, [member(node.get(name)) for name, member in members])

    return read


def _checked_reader(name: str, schema: Schema, options: JsonValueOptions) -> Reader:
    """A field's reader: what `_typed` does per field (read, then validate as Struct.put
    would) for nodes off the fast branches."""

    def generic(node: object) -> object:
        value = to_connect(schema, node, options)
        validate_value(schema, value, name)
        return value

    return _reader(schema, options, generic)
