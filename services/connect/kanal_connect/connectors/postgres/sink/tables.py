"""Target tables: what columns they have, and creating or widening them from records
(`auto.create`, `auto.evolve`). DDL runs inside the write transaction, so a failed batch
leaves no half-made table behind."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql

from kanal_connect.connectors.postgres.sink.config import OFFSETS_TABLE, SinkConfig
from kanal_connect.connectors.postgres.sink.rows import ColumnSpec
from kanal_connect.errors import ConnectError

Conn = psycopg.AsyncConnection[tuple[object, ...]]

_COLUMNS = """
SELECT a.attname FROM pg_attribute a
WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
"""


class TableCache:
    """Known columns per table; refreshed after this task changes a table."""

    def __init__(self, config: SinkConfig) -> None:
        self._config = config
        self._columns: dict[str, set[str]] = {}

    def forget(self) -> None:
        """After a rolled-back transaction, DDL it ran did not happen."""
        self._columns.clear()

    async def exists(self, conn: Conn, table: str) -> bool:
        known = self._columns.get(table)
        if known is None:
            known = self._columns[table] = await self._load(conn, table)
        return bool(known)

    async def ensure(self, conn: Conn, table: str, columns: Sequence[ColumnSpec],
                     key: Sequence[str]) -> None:
        known = self._columns.get(table)
        if known is None:
            known = await self._load(conn, table)
        if not known:
            if not self._config.auto_create:
                raise ConnectError(f"table {table!r} is missing and auto.create is false")
            await conn.execute(_create(table, columns, key))
            known = {c.name for c in columns}
        missing = [c for c in columns if c.name not in known]
        if missing:
            if not self._config.auto_evolve:
                names = ", ".join(c.name for c in missing)
                raise ConnectError(f"table {table!r} has no column(s) {names} and auto.evolve "
                                   "is false")
            for column in missing:
                await conn.execute(
                    sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}").format(
                        sql.Identifier(table), sql.Identifier(column.name),
                        sql.SQL(column.pg_type))
                )
                known.add(column.name)
        self._columns[table] = known

    async def _load(self, conn: Conn, table: str) -> set[str]:
        ident = sql.Identifier(table).as_string(conn)
        rows = await (await conn.execute(_COLUMNS, (ident,))).fetchall()
        return {str(name) for (name,) in rows}


def _create(table: str, columns: Sequence[ColumnSpec], key: Sequence[str]) -> sql.Composed:
    parts = [
        sql.SQL("{} {}{}").format(sql.Identifier(c.name), sql.SQL(c.pg_type),
                                  sql.SQL("" if c.nullable else " NOT NULL"))
        for c in columns
    ]
    if key:
        parts.append(sql.SQL("PRIMARY KEY ({})").format(
            sql.SQL(", ").join(sql.Identifier(k) for k in key)))
    return sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(
        sql.Identifier(table), sql.SQL(", ").join(parts))


async def ensure_offsets_table(conn: Conn) -> None:
    """The exactly-once ledger: the next Kafka offset to write, per connector and
    partition, updated in the same transaction as the rows."""
    await conn.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (connector text NOT NULL, topic text NOT NULL, "
            "kafka_partition integer NOT NULL, next_offset bigint NOT NULL, "
            "PRIMARY KEY (connector, topic, kafka_partition))"
        ).format(sql.Identifier(OFFSETS_TABLE))
    )
