"""Struct records as rows through a plan made once per (key schema, value schema).

`rows.to_row` works out, for every record, which columns a struct's fields become, which
of them form the key and in what order: the same answer for every record of a schema. A
plan holds that answer, so a record costs one pass over its struct values. Plans are found
by the schemas' identity first (a converter that caches schemas hands out the same object),
then by equality (one that does not builds equal schemas per record).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter

from kanal_connect.connectors.postgres.sink.config import SinkConfig
from kanal_connect.connectors.postgres.sink.rows import (
    ColumnSpec,
    Layout,
    SinkRow,
    key_columns,
    layout,
    storable,
)
from kanal_connect.data.record import SinkRecord
from kanal_connect.data.schema import Schema
from kanal_connect.data.structs import Struct

_MAX_PLANS = 256
Picker = Callable[[Sequence[object]], tuple[object, ...]]


@dataclass(frozen=True, slots=True)
class _Plan:
    key_schema: Schema | None  # the struct the key is taken from when it is the record key
    value_schema: Schema
    key_picks: tuple[int, ...]  # the key's fields, in key order, by index into its struct
    value_picks: tuple[int, ...]  # the value's fields that are not key columns
    pick_keys: Picker  # key_picks, or key_picks + value_picks when the key is in the value
    pick_others: Picker  # value_picks
    columns: tuple[ColumnSpec, ...]  # key columns first
    key_layout: Layout | None
    value_layout: Layout


class RowPlans:
    """The plans of one sink task (its config decides the key)."""

    def __init__(self, config: SinkConfig) -> None:
        self._config = config
        self._by_id: dict[tuple[int, int], _Plan] = {}
        self._by_schema: dict[tuple[Schema | None, Schema], _Plan] = {}
        self._last: _Plan | None = None  # a run of records mostly shares its schemas

    def to_row(self, record: SinkRecord, table: str) -> SinkRow | None:
        """The row of a record whose value is a Struct (and whose key is a Struct when
        `pk.mode` is record_key); None when the record takes the general path."""
        value, key = record.value, record.key
        mode = self._config.pk_mode
        if not isinstance(value, Struct) or (mode == "record_key" and not isinstance(key, Struct)):
            return None
        key_struct = key if isinstance(key, Struct) and mode == "record_key" else None
        plan = self._plan(record, key_struct, value)
        values = _struct_values(plan.value_layout, value)
        if mode == "kafka":
            keys: tuple[object, ...] = (record.topic, record.kafka_partition,
                                        record.kafka_offset)
        elif key_struct is not None:
            assert plan.key_layout is not None
            keys = plan.pick_keys(_struct_values(plan.key_layout, key_struct))
        else:  # the key columns are fields of the value: one pick makes the whole row
            row = plan.pick_keys(values)
            return SinkRow(table, row[:len(plan.key_picks)], plan.columns, row)
        return SinkRow(table, keys, plan.columns, keys + plan.pick_others(values))

    def _plan(self, record: SinkRecord, key: Struct | None, value: Struct) -> _Plan:
        key_schema = key.schema if key is not None else None
        plan = self._last
        if plan is not None and plan.key_schema is key_schema and plan.value_schema is value.schema:
            return plan
        plan = self._by_id.get((id(key_schema), id(value.schema)))
        if plan is not None and plan.key_schema is key_schema and plan.value_schema is value.schema:
            self._last = plan
            return plan
        plan = self._by_schema.get((key_schema, value.schema))
        if plan is None:
            plan = self._make(record, key_schema, value.schema)
            if len(self._by_schema) >= _MAX_PLANS:
                self._by_schema.clear()
            self._by_schema[(key_schema, value.schema)] = plan
        if len(self._by_id) >= _MAX_PLANS:
            self._by_id.clear()
        # The plan holds both schemas: the ids keying it cannot be reused meanwhile.
        plan = self._by_id[(id(key_schema), id(value.schema))] = self._last = _Plan(
            key_schema, value.schema, plan.key_picks, plan.value_picks, plan.pick_keys,
            plan.pick_others, plan.columns, plan.key_layout, plan.value_layout)
        return plan

    def _make(self, record: SinkRecord, key_schema: Schema | None, value_schema: Schema) -> _Plan:
        # The general path names the key columns (and checks pk.fields) for this record.
        keys = [column for column, _value in key_columns(self._config, record)]
        key_names = {column.name for column in keys}
        mode = self._config.pk_mode
        source = key_schema if mode == "record_key" else value_schema
        positions = {f.name: f.index for f in source.fields} if source is not None else {}
        key_picks = (() if mode in ("none", "kafka")
                     else tuple(positions[column.name] for column in keys))
        value_layout = layout(value_schema)
        value_columns = value_layout.columns
        value_picks = tuple(i for i, column in enumerate(value_columns)
                            if column.name not in key_names)
        pick_keys = _picker(key_picks if mode == "record_key" else key_picks + value_picks)
        return _Plan(key_schema, value_schema, key_picks, value_picks, pick_keys,
                     _picker(value_picks),
                     tuple(keys) + tuple(value_columns[i] for i in value_picks),
                     layout(key_schema) if key_schema is not None else None, value_layout)


def _picker(indexes: tuple[int, ...]) -> Picker:
    """The values at `indexes`, as a tuple (itemgetter returns a lone value bare)."""
    if len(indexes) >= 2:
        return itemgetter(*indexes)
    if indexes:
        index = indexes[0]
        return lambda values: (values[index],)
    return lambda _values: ()


def _struct_values(plan: Layout, struct: Struct) -> list[object]:
    """The struct's values as columns hold them (`plan`: the layout of its schema or of an
    equal one): a null takes the field's default, nested values become jsonb text."""
    values = struct.field_values()  # the struct's own list: read, never written
    if plan.plain:
        return values
    return [
        storable(default if item is None else item) if nested
        else (default if item is None else item)
        for default, nested, item in zip(plan.defaults, plan.nested, values, strict=True)
    ]
