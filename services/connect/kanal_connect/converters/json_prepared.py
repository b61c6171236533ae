"""Per-schema JSON writers: `jackson.write_text(to_json(schema, value))` without the node tree.

A writer is built once per Connect schema and turns a value straight into JSON text. Each
fast branch takes only values whose text is certain (exact Python types, in range); anything
else (nulls, logical types, maps, subclasses, wrong types) goes through the generic
`to_json` of that sub-value, so the text and every error are the generic path's. Because
`to_json` of a struct or array is the concatenation of its parts, mixing both is exact.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
from collections.abc import Callable
from typing import Any

from kanal_connect.converters import jackson
from kanal_connect.converters.json_struct_writer import FieldPlan, Inline, compile_struct_writer
from kanal_connect.converters.json_values import JsonValueOptions, to_json
from kanal_connect.data import logical
from kanal_connect.data.schema import Schema, SchemaType
from kanal_connect.data.validation import INT_RANGES
from kanal_connect.errors import DataException
from kanal_connect.java_text import java_double, java_float

Writer = Callable[[object], str]
# Defaults whose text is fixed once written (a list or struct default could be mutated).
_IMMUTABLE = (str, int, float, bool, bytes, decimal.Decimal)


def prepare_writer(schema: Schema, options: JsonValueOptions) -> Writer:
    """A function from a value of `schema` to its JSON text (generic path's text/errors)."""

    def generic(value: object) -> str:
        return jackson.write_text(to_json(schema, value, options))

    if schema.name in logical.LOGICAL_NAMES:
        return _logical_writer(schema, options, generic)
    kind = schema.type
    if kind in INT_RANGES:
        return _int_writer(INT_RANGES[kind], generic)
    if kind is SchemaType.STRING:
        return _string_writer(generic)
    if kind is SchemaType.FLOAT64:
        return _double_writer(generic)
    if kind is SchemaType.FLOAT32:
        return _float_writer(java_float, generic)
    if kind is SchemaType.BOOLEAN:
        return _boolean_writer(generic)
    if kind is SchemaType.BYTES:
        return _bytes_writer(generic)
    if kind is SchemaType.STRUCT:
        return _struct_writer(schema, options, generic)
    if kind is SchemaType.ARRAY:
        assert schema.value_schema is not None
        return _array_writer(prepare_writer(schema.value_schema, options), generic)
    return generic


def _logical_writer(schema: Schema, options: JsonValueOptions, generic: Writer) -> Writer:
    """`_logical_to_json` for values of exactly the logical type's class."""
    name = schema.name
    if name == logical.DECIMAL_NAME:
        numeric = options.decimal_numeric

        def write_decimal(value: object) -> str:
            if type(value) is not decimal.Decimal:
                return generic(value)
            if numeric:
                return str(value)
            data = logical.decimal_to_bytes(schema, value)
            return '"' + base64.b64encode(data).decode("ascii") + '"'

        return write_decimal
    converters: dict[str | None, tuple[type, Callable[[Any], int]]] = {
        logical.DATE_NAME: (dt.date, logical.date_to_days),
        logical.TIME_NAME: (dt.time, logical.time_to_millis),
        logical.TIMESTAMP_NAME: (dt.datetime, logical.timestamp_to_millis),
    }
    if name not in converters:
        return generic
    exact_class, to_number = converters[name]

    def write(value: object) -> str:
        return str(to_number(value)) if type(value) is exact_class else generic(value)

    return write


def _int_writer(bounds: tuple[int, int], generic: Writer) -> Writer:
    low, high = bounds

    def write(value: object) -> str:
        if type(value) is int and low <= value <= high:
            return str(value)
        return generic(value)

    return write


def _string_writer(generic: Writer) -> Writer:
    quote = jackson.quote

    def write(value: object) -> str:
        return quote(value) if type(value) is str else generic(value)

    return write


def _float_writer(java_text: Callable[[float], str], generic: Writer) -> Writer:
    def write(value: object) -> str:
        if type(value) is float:
            return jackson.number_text(java_text(value))
        return generic(value)

    return write


def _double_writer(generic: Writer) -> Writer:
    def write(value: object) -> str:
        if type(value) is float:
            # In [1e-3, 1e7) Java's Double.toString is plain notation of the shortest
            # digits, which is Python's repr there (the tests hold both to that).
            if 1e-3 <= value < 1e7 or -1e7 < value <= -1e-3:
                return repr(value)
            return jackson.number_text(java_double(value))
        return generic(value)

    return write


def _boolean_writer(generic: Writer) -> Writer:
    def write(value: object) -> str:
        if value is True:
            return "true"
        if value is False:
            return "false"
        return generic(value)

    return write


def _bytes_writer(generic: Writer) -> Writer:
    def write(value: object) -> str:
        if type(value) is bytes:
            return '"' + base64.b64encode(value).decode("ascii") + '"'
        return generic(value)

    return write


def _array_writer(item: Writer, generic: Writer) -> Writer:
    def write(value: object) -> str:
        if type(value) is list or type(value) is tuple:
            return "[" + ",".join(map(item, value)) + "]"
        return generic(value)

    return write


def _struct_writer(schema: Schema, options: JsonValueOptions, generic: Writer) -> Writer:
    # Field values are read by index: a struct of the same shape has the same fields, so
    # the same indexes, as `to_json`'s lookup by name would find.
    plans = []
    for field in schema.fields:
        writer = prepare_writer(field.schema, options)
        inline, bounds = _inline_kind(field.schema)
        plans.append(FieldPlan(field.name, field.index, writer,
                               _null_text(field.schema, options, writer), inline, bounds))
    return compile_struct_writer(schema, plans, generic)


def _inline_kind(schema: Schema) -> tuple[Inline, tuple[int, int]]:
    """The values `prepare_writer` answers with `str()` (exact int in range) or
    `jackson.quote` (exact str): the struct writer writes those itself."""
    if schema.name in logical.LOGICAL_NAMES:
        return None, (0, -1)
    if schema.type in INT_RANGES:
        return "int", INT_RANGES[schema.type]
    if schema.type is SchemaType.STRING:
        return "str", (0, -1)
    return None, (0, -1)


def _null_text(schema: Schema, options: JsonValueOptions, writer: Writer) -> str | None:
    """The text of a null value where it cannot change: null, or the text of an immutable
    default (`to_json` of None writes the default then); None where the writer decides."""
    if schema.default is not None and options.replace_null_with_default:
        if type(schema.default) not in _IMMUTABLE:
            return None
        try:
            return writer(schema.default)
        except DataException:  # a default set unchecked: fail on use, as to_json does
            return None
    return "null" if schema.optional else None


class PreparedWriters:
    """Writers by schema identity, bounded: connectors reuse one Schema object per table
    or record type, and identity needs no deep hashing of the schema."""

    def __init__(self, options: JsonValueOptions, capacity: int) -> None:
        self._options = options
        self._capacity = capacity
        # The schema is kept in the entry so its id cannot be reused while cached.
        self._writers: dict[int, tuple[Schema, Writer]] = {}

    def writer(self, schema: Schema) -> Writer:
        entry = self._writers.get(id(schema))
        if entry is not None and entry[0] is schema:
            return entry[1]
        built = prepare_writer(schema, self._options)
        if self._writers and len(self._writers) >= self._capacity:
            del self._writers[next(iter(self._writers))]
        self._writers[id(schema)] = (schema, built)
        return built
