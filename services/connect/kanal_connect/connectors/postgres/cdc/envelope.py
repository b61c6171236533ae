"""Debezium's change event: key and envelope schemas per table, and the events themselves.

A change to `inventory.customers` under `topic.prefix=db` goes to topic
`db.inventory.customers` with key struct `db.inventory.customers.Key` (the primary key) and
value `db.inventory.customers.Envelope`:

    before  Value|null   the old row (deletes always; updates only under REPLICA IDENTITY FULL)
    after   Value|null   the new row (c, u, r)
    source  Source       version, connector, name, ts_ms, snapshot, db, sequence, schema,
                         table, txId, lsn, xmin
    op      string       c create, u update, d delete, r snapshot read, t truncate
    ts_ms   int64|null   when the connector processed the event
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kanal_connect.connectors.postgres.types import ColumnType
from kanal_connect.data.record import SourceRecord
from kanal_connect.data.schema import (
    INT64,
    OPTIONAL_INT64,
    OPTIONAL_STRING,
    STRING,
    Schema,
    struct,
)
from kanal_connect.data.structs import Struct

CONNECTOR_NAME = "postgresql"
VERSION = "2.5.0.kanal"
SOURCE_SCHEMA = struct(
    [
        ("version", STRING),
        ("connector", STRING),
        ("name", STRING),
        ("ts_ms", INT64),
        ("snapshot", OPTIONAL_STRING.with_metadata(
            name="io.debezium.data.Enum", version=1,
            parameters={"allowed": "true,last,false,incremental"},
        ).with_default("false")),
        ("db", STRING),
        ("sequence", OPTIONAL_STRING),
        ("schema", STRING),
        ("table", STRING),
        ("txId", OPTIONAL_INT64),
        ("lsn", OPTIONAL_INT64),
        ("xmin", OPTIONAL_INT64),
    ],
    name="io.debezium.connector.postgresql.Source",
)


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: ColumnType


@dataclass(frozen=True)
class TableModel:
    """What events of one table need: its columns, key, schemas and topic."""

    schema_name: str
    table_name: str
    topic: str
    columns: tuple[Column, ...]
    key_columns: tuple[str, ...]
    key_schema: Schema | None
    value_schema: Schema
    envelope_schema: Schema
    key_positions: tuple[int, ...]  # of the key columns among `columns`

    @classmethod
    def build(
        cls, prefix: str, schema_name: str, table_name: str, columns: Sequence[Column],
        key_columns: Sequence[str],
    ) -> TableModel:
        base = f"{prefix}.{schema_name}.{table_name}"
        by_name = {column.name: column for column in columns}
        key_schema = (
            struct(
                [(name, by_name[name].type.schema.with_optional(False)) for name in key_columns],
                name=f"{base}.Key",
            )
            if key_columns
            else None
        )
        value_schema = struct(
            [(column.name, column.type.schema) for column in columns], name=f"{base}.Value"
        )
        envelope = struct(
            [
                ("before", value_schema.with_optional()),
                ("after", value_schema.with_optional()),
                ("source", SOURCE_SCHEMA),
                ("op", STRING),
                ("ts_ms", OPTIONAL_INT64),
            ],
            name=f"{base}.Envelope",
        )
        positions = {column.name: index for index, column in enumerate(columns)}
        return cls(schema_name, table_name, base, tuple(columns), tuple(key_columns),
                   key_schema, value_schema, envelope,
                   tuple(positions[name] for name in key_columns))

    def row(self, values: Sequence[object]) -> Struct:
        """`values`: one per column, in column order."""
        return filled(self.value_schema, list(values))

    def key(self, values: Sequence[object]) -> Struct | None:
        if self.key_schema is None:
            return None
        return filled(self.key_schema, [values[i] for i in self.key_positions])


def filled(schema: Schema, values: list[object]) -> Struct:
    """A Struct of `values` in field order, without `Struct.put`'s per-field validation.

    Why: `put` validates a nested struct again at every level (the envelope re-checks its
    row and source), which was four fifths of the CDC task's time. The values here come
    from the decoders in `types`, which produce exactly each schema's Python type; the tests
    run `Struct.validate()` over the events to keep that true."""
    return Struct.trusted(schema, values)


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Where an event came from: the `source` block, minus the table."""

    server_name: str
    db: str
    ts_ms: int
    snapshot: str  # "true", "last" or "false"
    tx_id: int | None
    lsn: int | None

    def struct_for(self, table: TableModel) -> Struct:
        return filled(SOURCE_SCHEMA, [
            VERSION, CONNECTOR_NAME, self.server_name, self.ts_ms, self.snapshot, self.db,
            None, table.schema_name, table.table_name, self.tx_id, self.lsn, None,
        ])


def change_event(
    table: TableModel,
    op: str,
    before: Sequence[object] | None,
    after: Sequence[object] | None,
    source: Struct,
    *,
    partition: Mapping[str, object],
    offset: Mapping[str, object],
    now_ms: int | None = None,
    source_ts_ms: int | None = None,
) -> SourceRecord:
    """One Debezium event; its key comes from `after` (or `before` for deletes). `source`
    is `SourceInfo.struct_for(table)`, shared by the events of one transaction."""
    # The record timestamp is the source block's ts_ms: a caller that built the block
    # passes it, sparing a lookup per event.
    ts_ms = source_ts_ms if source_ts_ms is not None else source.get_without_default("ts_ms")
    envelope = filled(table.envelope_schema, [
        table.row(before) if before is not None else None,
        table.row(after) if after is not None else None,
        source,
        op,
        now_ms if now_ms is not None else int(time.time() * 1000),
    ])
    keyed = after if after is not None else before
    key = table.key(keyed) if keyed is not None and op != "t" else None
    return SourceRecord(
        topic=table.topic,
        key_schema=table.key_schema if key is not None else None,
        key=key,
        value_schema=table.envelope_schema,
        value=envelope,
        timestamp=ts_ms if isinstance(ts_ms, int) else None,
        source_partition=partition,
        source_offset=offset,
    )


def tombstone(event: SourceRecord, offset: Mapping[str, object]) -> SourceRecord:
    """The null-valued record after a delete, so compaction can drop the key."""
    return SourceRecord(
        topic=event.topic, key_schema=event.key_schema, key=event.key,
        timestamp=event.timestamp, source_partition=event.source_partition,
        source_offset=offset,
    )
