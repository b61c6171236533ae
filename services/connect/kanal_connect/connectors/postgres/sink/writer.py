"""One batch of rows written in one transaction, together with the consumed offsets.

Rows are collapsed to the last change per key (an upsert cannot touch a row twice in one
statement, and only the final state matters), then per table and column set they go
through COPY into a staging table (temporary, one per column set, kept for the session) and
one set-based statement:

    insert  COPY straight into the table
    upsert  INSERT .. SELECT FROM stage ON CONFLICT (key) DO UPDATE SET col = EXCLUDED.col
    update  UPDATE table SET col = stage.col FROM stage WHERE key matches
    delete  DELETE .. USING stage WHERE key matches

The offsets row (`__kanal_connect_offsets`) is written last in the same transaction: the
table holds a batch's rows if and only if it holds the offsets after them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import count

from kanal.types import TopicPartition
from psycopg import sql

from kanal_connect.connectors.postgres.sink.config import OFFSETS_TABLE, SinkConfig
from kanal_connect.connectors.postgres.sink.rows import SinkRow
from kanal_connect.connectors.postgres.sink.tables import Conn, TableCache


class Stages:
    """Staging tables of this connection, one per (table, delete?, column set): created
    once (`ON COMMIT DELETE ROWS` empties them at each commit) instead of per batch, which
    would churn the catalog. Forgotten with the connection or after a failed transaction
    (which may have rolled back a creation)."""

    def __init__(self) -> None:
        self._names: dict[tuple[str, bool, tuple[str, ...]], str] = {}
        self._numbers = count()

    def forget(self) -> None:
        self._names.clear()

    async def stage(self, conn: Conn, table: str, delete: bool,
                    names: tuple[str, ...]) -> sql.Identifier:
        key = (table, delete, names)
        name = self._names.get(key)
        if name is None:
            name = f"__kanal_stage_{next(self._numbers)}"
            columns = sql.SQL(", ").join(sql.Identifier(n) for n in names)
            await conn.execute(
                sql.SQL("CREATE TEMP TABLE IF NOT EXISTS {} ON COMMIT DELETE ROWS AS "
                        "SELECT {} FROM {} WITH NO DATA")
                .format(sql.Identifier(name), columns, sql.Identifier(table))
            )
            self._names[key] = name
        return sql.Identifier(name)


def collapse(rows: Sequence[SinkRow], keyed: bool) -> list[SinkRow]:
    """The last row per (table, key), in first-seen order; unchanged without keys."""
    if not keyed:
        return list(rows)
    last: dict[tuple[str, tuple[object, ...]], SinkRow] = {}
    for row in rows:
        last.pop((row.table, row.key), None)
        last[(row.table, row.key)] = row
    return list(last.values())


def _groups(rows: Sequence[SinkRow]) -> dict[tuple[str, bool, tuple[str, ...]], list[SinkRow]]:
    groups: dict[tuple[str, bool, tuple[str, ...]], list[SinkRow]] = {}
    # Rows of one schema share their columns tuple: name it once (the rows keep it alive,
    # so its id is not reused during the call).
    names_of: dict[int, tuple[str, ...]] = {}
    for row in rows:
        names = names_of.get(id(row.columns))
        if names is None:
            names = names_of[id(row.columns)] = tuple(c.name for c in row.columns)
        groups.setdefault((row.table, row.delete, names), []).append(row)
    return groups


async def write_batch(conn: Conn, config: SinkConfig, tables: TableCache, stages: Stages,
                      rows: Sequence[SinkRow], *, next_offsets: Mapping[TopicPartition, int],
                      key_names: int) -> None:
    """Write `rows` and `next_offsets` atomically (`key_names`: how many leading columns of
    each row are its key)."""
    async with conn.transaction():
        for (table, delete, names), group in _groups(collapse(rows, key_names > 0)).items():
            key = list(names[:key_names])
            if delete and not await tables.exists(conn, table):
                continue  # nothing to delete from a table never created
            if not delete:
                await tables.ensure(conn, table, group[0].columns, key)
            stage = (None if config.insert_mode == "insert" and not delete
                     else await stages.stage(conn, table, delete, names))
            await _apply(conn, config, table, group, stage=stage, delete=delete,
                         names=list(names), key=key)
        if next_offsets:
            await conn.cursor().executemany(
                sql.SQL(
                    "INSERT INTO {} VALUES (%s, %s, %s, %s) ON CONFLICT (connector, topic, "
                    "kafka_partition) DO UPDATE SET next_offset = EXCLUDED.next_offset"
                ).format(sql.Identifier(OFFSETS_TABLE)),
                [(config.connector, tp.topic, tp.partition, offset)
                 for tp, offset in next_offsets.items()],
            )


async def _apply(conn: Conn, config: SinkConfig, table: str, rows: Sequence[SinkRow], *,
                 stage: sql.Identifier | None, delete: bool, names: list[str],
                 key: list[str]) -> None:
    target = sql.Identifier(table)
    columns = sql.SQL(", ").join(sql.Identifier(n) for n in names)
    if stage is None:
        await _copy(conn, target, columns, rows)
        return
    await _copy(conn, stage, columns, rows)
    match = sql.SQL(" AND ").join(
        sql.SQL("t.{0} = s.{0}").format(sql.Identifier(k)) for k in key)
    others = [n for n in names if n not in key]
    if delete:
        statement = sql.SQL("DELETE FROM {} t USING {} s WHERE {}").format(target, stage, match)
    elif config.insert_mode == "update":
        statement = sql.SQL("UPDATE {} t SET {} FROM {} s WHERE {}").format(
            target, _assignments(others, "s"), stage, match)
    else:
        action = (sql.SQL("DO UPDATE SET {}").format(_assignments(others, "EXCLUDED"))
                  if others else sql.SQL("DO NOTHING"))
        statement = sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {} ON CONFLICT ({}) {}").format(
            target, columns, columns, stage,
            sql.SQL(", ").join(sql.Identifier(k) for k in key), action)
    if delete or config.insert_mode != "update" or others:
        await conn.execute(statement)


def _assignments(names: Sequence[str], source: str) -> sql.Composable:
    return sql.SQL(", ").join(
        sql.SQL("{0} = {1}.{0}").format(sql.Identifier(n), sql.SQL(source)) for n in names)


async def _copy(conn: Conn, target: sql.Composable, columns: sql.Composable,
                rows: Sequence[SinkRow]) -> None:
    async with conn.cursor().copy(
        sql.SQL("COPY {} ({}) FROM STDIN").format(target, columns)
    ) as copy:
        for row in rows:
            await copy.write_row(row.values)
