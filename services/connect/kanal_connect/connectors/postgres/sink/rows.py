"""Sink records as table rows: which columns, which key, and their PostgreSQL types.

A record's value is a Struct (with its schema) or, schemaless, a dict; the key columns come
from `pk.mode`. Nested values (STRUCT, ARRAY, MAP) are stored as jsonb.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from dataclasses import dataclass
from typing import NamedTuple

from kanal_connect.connectors.postgres.sink.config import KAFKA_PK_DEFAULTS, SinkConfig
from kanal_connect.data import logical
from kanal_connect.data.record import SinkRecord
from kanal_connect.data.schema import Schema, SchemaType
from kanal_connect.data.structs import Struct
from kanal_connect.errors import DataException

_PG_TYPES = {
    SchemaType.INT8: "smallint",
    SchemaType.INT16: "smallint",
    SchemaType.INT32: "integer",
    SchemaType.INT64: "bigint",
    SchemaType.FLOAT32: "real",
    SchemaType.FLOAT64: "double precision",
    SchemaType.BOOLEAN: "boolean",
    SchemaType.STRING: "text",
    SchemaType.BYTES: "bytea",
    SchemaType.ARRAY: "jsonb",
    SchemaType.MAP: "jsonb",
    SchemaType.STRUCT: "jsonb",
}
_LOGICAL_PG_TYPES = {
    logical.DECIMAL_NAME: "numeric",
    logical.DATE_NAME: "date",
    logical.TIME_NAME: "time",
    logical.TIMESTAMP_NAME: "timestamp",
}
# Schemaless values: the column type follows the Python type (bool before int: a subclass).
_PYTHON_PG_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"), (int, "bigint"), (float, "double precision"), (str, "text"),
    (bytes, "bytea"), (decimal.Decimal, "numeric"), (dt.datetime, "timestamp"),
    (dt.date, "date"), (dt.time, "time"), (dict, "jsonb"), (list, "jsonb"),
)


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    name: str
    pg_type: str
    nullable: bool


class SinkRow(NamedTuple):
    """One record's effect on its table: a row to write, or (delete) a key to remove. (A
    named tuple: one is built per record, and that is cheaper than a frozen dataclass.)"""

    table: str
    key: tuple[object, ...]
    columns: tuple[ColumnSpec, ...]  # key columns first
    values: tuple[object, ...]
    delete: bool = False


def pg_type(schema: Schema) -> str:
    return _LOGICAL_PG_TYPES.get(schema.name or "") or _PG_TYPES[schema.type]


def _python_pg_type(value: object) -> str:
    for python_type, name in _PYTHON_PG_TYPES:
        if isinstance(value, python_type):
            return name
    return "text"


Field = tuple[ColumnSpec, object]  # a column and this record's value for it


@dataclass(frozen=True, slots=True)
class Layout:
    """What one struct schema's fields become: computed once per schema, not per record."""

    schema: Schema  # held so that the id keying the cache cannot be reused meanwhile
    columns: tuple[ColumnSpec, ...]
    defaults: tuple[object, ...]
    nested: tuple[bool, ...]
    plain: bool  # values go to their columns as they are: no defaults, nothing nested


_layouts: dict[int, Layout] = {}
_layouts_by_schema: dict[Schema, Layout] = {}  # for converters that build schemas per record
_MAX_LAYOUTS = 1024


def layout(schema: Schema) -> Layout:
    cached = _layouts.get(id(schema))
    if cached is not None and cached.schema is schema:
        return cached
    if len(_layouts) >= _MAX_LAYOUTS:
        _layouts.clear()
    equal = _layouts_by_schema.get(schema)
    if equal is None:
        fields = schema.fields
        defaults = tuple(f.schema.default for f in fields)
        nested = tuple(not f.schema.type.is_primitive for f in fields)
        equal = Layout(
            schema,
            tuple(ColumnSpec(f.name, pg_type(f.schema), f.schema.optional) for f in fields),
            defaults, nested, not any(nested) and all(d is None for d in defaults),
        )
        if len(_layouts_by_schema) >= _MAX_LAYOUTS:
            _layouts_by_schema.clear()
        _layouts_by_schema[schema] = equal
    found = _layouts[id(schema)] = Layout(schema, equal.columns, equal.defaults, equal.nested,
                                          equal.plain)
    return found


def _fields(schema: Schema | None, value: object, what: str) -> list[Field]:
    """Each field of a struct or dict value as a column and its value."""
    if isinstance(value, Struct):
        fields = layout(value.schema)
        out: list[Field] = []
        for column, default, nested, (_name, item) in zip(
            fields.columns, fields.defaults, fields.nested, value.items(), strict=True
        ):
            present = default if item is None else item
            out.append((column, storable(present) if nested else present))
        return out
    if isinstance(value, dict):
        return [(ColumnSpec(str(k), _python_pg_type(v), True), storable(v))
                for k, v in value.items()]
    raise DataException(
        f"the record {what} must be a struct or a map to be written to a table, "
        f"got {type(value).__name__} (schema {schema})"
    )


def storable(value: object) -> object:
    """jsonb text for nested values; everything else as psycopg adapts it."""
    if isinstance(value, Struct | dict | list):
        return json.dumps(_jsonable(value), default=str)
    return value


def _jsonable(value: object) -> object:
    if isinstance(value, Struct):
        return {name: _jsonable(v) for name, v in value.items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return value


def key_columns(config: SinkConfig, record: SinkRecord) -> list[Field]:
    mode = config.pk_mode
    if mode == "none":
        return []
    if mode == "kafka":
        names = config.pk_fields or KAFKA_PK_DEFAULTS
        return [(ColumnSpec(names[0], "text", False), record.topic),
                (ColumnSpec(names[1], "integer", False), record.kafka_partition),
                (ColumnSpec(names[2], "bigint", False), record.kafka_offset)]
    source, schema = (
        (record.key, record.key_schema) if mode == "record_key"
        else (record.value, record.value_schema)
    )
    if source is None:
        raise DataException(f"pk.mode {mode} but the record has no {mode.split('_')[1]}")
    if mode == "record_key" and not isinstance(source, Struct | dict):
        name = config.pk_fields[0] if config.pk_fields else "__connect_key"
        kind = pg_type(schema) if schema is not None else _python_pg_type(source)
        return [(ColumnSpec(name, kind, False), source)]
    fields = _fields(schema, source, mode.split("_")[1])
    if config.pk_fields:
        by_name = {column.name: (column, value) for column, value in fields}
        missing = [name for name in config.pk_fields if name not in by_name]
        if missing:
            raise DataException(f"pk.fields {missing} are not fields of the record")
        fields = [by_name[name] for name in config.pk_fields]
    return [(_required(column), value) for column, value in fields]


def _required(column: ColumnSpec) -> ColumnSpec:
    return column if not column.nullable else ColumnSpec(column.name, column.pg_type, False)


def to_row(config: SinkConfig, record: SinkRecord) -> SinkRow | None:
    """The row for `record`; None for a tombstone that is not a delete."""
    table = config.table_for(record.topic)
    if record.value is None:
        if not config.delete_enabled:
            return None
        keys = key_columns(config, record)
        key = tuple(value for _column, value in keys)
        return SinkRow(table, key, tuple(column for column, _value in keys), key, delete=True)
    keys = key_columns(config, record)
    key_names = {column.name for column, _value in keys}
    every = keys + [f for f in _fields(record.value_schema, record.value, "value")
                    if f[0].name not in key_names]
    return SinkRow(
        table,
        tuple(value for _column, value in keys),
        tuple(column for column, _value in every),
        tuple(value for _column, value in every),
    )
