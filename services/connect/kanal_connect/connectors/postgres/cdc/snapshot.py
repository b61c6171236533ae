"""The initial snapshot: every included table read in one REPEATABLE READ transaction.

The replication slot exists before the snapshot starts, so every change committed after
the snapshot's view is still in the slot; the changes both saw are told apart by the
snapshot's `pg_current_snapshot()` (see `SnapshotVisibility`). Rows are read through a
server-side cursor, `max.batch.size` at a time, so a large table never sits in memory; the
columns are selected as text and decoded like the stream's.
"""

from __future__ import annotations

import time

import psycopg
from psycopg import sql

from kanal_connect.connectors.postgres.cdc import catalog
from kanal_connect.connectors.postgres.cdc.config import CdcConfig
from kanal_connect.connectors.postgres.cdc.envelope import SourceInfo, TableModel, change_event
from kanal_connect.connectors.postgres.cdc.stream import SnapshotVisibility
from kanal_connect.connectors.postgres.types import decode_text
from kanal_connect.data.record import SourceRecord


class SnapshotReader:
    """Reads the snapshot in batches; `visibility` is known once `open` returned."""

    def __init__(self, config: CdcConfig, partition: dict[str, object], slot_lsn: int) -> None:
        self._config = config
        self._partition = partition
        self._slot_lsn = slot_lsn
        self._conn: catalog.Conn | None = None
        self._tables: list[TableModel] = []
        self._cursor: psycopg.AsyncServerCursor[tuple[object, ...]] | None = None
        self._table: TableModel | None = None
        # Rows left to emit, counted in the same transaction: the last one is marked "last".
        self._remaining = 0
        self.visibility: SnapshotVisibility | None = None

    async def open(self) -> None:
        conn = await psycopg.AsyncConnection.connect(self._config.conninfo)
        self._conn = conn
        await conn.set_isolation_level(psycopg.IsolationLevel.REPEATABLE_READ)
        await conn.set_read_only(True)
        row = await (await conn.execute("SELECT pg_current_snapshot()::text")).fetchone()
        assert row is not None
        self.visibility = SnapshotVisibility.parse(str(row[0]))
        for schema, table in await catalog.included_tables(conn, self._config):
            model = await catalog.table_model(conn, self._config.topic_prefix, schema, table)
            self._tables.append(model)
            counted = await (
                await conn.execute(
                    sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))
                )
            ).fetchone()
            assert counted is not None
            self._remaining += int(str(counted[0]))

    async def next_batch(self) -> list[SourceRecord]:
        """The next records; [] once every table is read. The snapshot transaction ends
        with its last row, so it holds no lock a moment longer (a TRUNCATE would wait)."""
        if self.finished:
            return []
        records = [self._event(row) for row in await self._fetch()]
        if self._remaining <= 0:
            await self.close()
        return records

    @property
    def finished(self) -> bool:
        return self._conn is None

    async def _fetch(self) -> list[tuple[object, ...]]:
        """Rows of the current table, moving on when one ends; [] when all are read."""
        assert self._conn is not None
        while True:
            if self._cursor is None:
                if not self._tables:
                    return []
                self._table = self._tables.pop(0)
                self._cursor = self._conn.cursor(name="kanal_snapshot")
                columns = sql.SQL(", ").join(
                    sql.SQL("{}::text").format(sql.Identifier(c.name))
                    for c in self._table.columns
                )
                await self._cursor.execute(
                    sql.SQL("SELECT {} FROM {}").format(
                        columns, sql.Identifier(self._table.schema_name, self._table.table_name)
                    )
                )
            rows = await self._cursor.fetchmany(self._config.max_batch_size)
            if rows:
                return rows
            await self._cursor.close()
            self._cursor = None

    def _event(self, row: tuple[object, ...]) -> SourceRecord:
        table = self._table
        assert table is not None
        self._remaining -= 1
        last = self._remaining <= 0
        values = [
            None if text is None else decode_text(column.type, str(text))
            for column, text in zip(table.columns, row, strict=True)
        ]
        source = SourceInfo(self._config.topic_prefix, self._config.dbname,
                            int(time.time() * 1000), "last" if last else "true", None,
                            self._slot_lsn).struct_for(table)
        return change_event(table, "r", None, values, source, partition=self._partition,
                            offset={"lsn": self._slot_lsn, "snapshot": True,
                                    "last_snapshot_record": last})

    async def close(self) -> None:
        if self._cursor is not None:
            await self._cursor.close()
            self._cursor = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
