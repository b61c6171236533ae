"""The sink task: records in, rows out, exactly once.

Exactly-once: each batch's rows and the next offset per partition commit in one
PostgreSQL transaction (see `writer`). On `open` the task reads those offsets and seeks
the worker's consumer there (`context.offset`), and `put` drops any record below them, so a
redelivery after a crash or rebalance never writes a row twice. The consumer offsets the
worker commits to Kafka are only a hint; the table's ledger is the truth.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence

import psycopg
from kanal.types import TopicPartition
from psycopg import sql

from kanal_connect.api import SinkTask, SinkTaskContext
from kanal_connect.connectors.postgres.sink.config import OFFSETS_TABLE, SinkConfig, parse_config
from kanal_connect.connectors.postgres.sink.row_plan import RowPlans
from kanal_connect.connectors.postgres.sink.rows import SinkRow, to_row
from kanal_connect.connectors.postgres.sink.tables import Conn, TableCache, ensure_offsets_table
from kanal_connect.connectors.postgres.sink.writer import Stages, write_batch
from kanal_connect.data.record import SinkRecord
from kanal_connect.errors import ConnectError, DataException

log = logging.getLogger(__name__)
VERSION = "0.1.0"


class PostgresSinkTask(SinkTask):
    def __init__(self) -> None:
        self._config: SinkConfig | None = None
        self._context: SinkTaskContext | None = None
        self._conn: Conn | None = None
        self._tables: TableCache | None = None
        self._plans: RowPlans | None = None
        self._stages = Stages()
        self._next: dict[TopicPartition, int] = {}  # stored in the table: the next to write
        self._buffer: list[SinkRecord] = []  # put but not yet written: at most a batch

    def version(self) -> str:
        return VERSION

    async def start(self, props: Mapping[str, str], context: SinkTaskContext) -> None:
        self._config = parse_config(props)
        self._context = context
        self._tables = TableCache(self._config)
        self._plans = RowPlans(self._config)
        conn = await self._connection()
        await ensure_offsets_table(conn)

    async def _connection(self) -> Conn:
        if self._conn is None or self._conn.closed:
            assert self._config is not None
            self._conn = await psycopg.AsyncConnection.connect(
                self._config.conninfo, autocommit=True
            )
        return self._conn

    async def open(self, partitions: Sequence[TopicPartition]) -> None:
        assert self._config is not None and self._context is not None
        conn = await self._connection()
        rows = await (
            await conn.execute(
                sql.SQL("SELECT topic, kafka_partition, next_offset FROM {} "
                        "WHERE connector = %s").format(sql.Identifier(OFFSETS_TABLE)),
                (self._config.connector,),
            )
        ).fetchall()
        stored = {TopicPartition(str(t), int(str(p))): int(str(o)) for t, p, o in rows}
        wanted = {tp: stored[tp] for tp in partitions if tp in stored}
        self._next.update(wanted)
        if wanted:
            self._context.offset(wanted)

    async def close(self, partitions: Sequence[TopicPartition]) -> None:
        await self._write_buffer()
        for tp in partitions:
            self._next.pop(tp, None)

    async def put(self, records: Sequence[SinkRecord]) -> None:
        """Buffer records; write each full `batch.size` as one transaction."""
        assert self._config is not None
        self._buffer += (r for r in records if r.kafka_offset >= self._next.get(_tp(r), 0))
        size = self._config.batch_size
        while len(self._buffer) >= size:
            batch, self._buffer = self._buffer[:size], self._buffer[size:]
            await self._write(batch)

    async def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        await self._write_buffer()

    async def _write_buffer(self) -> None:
        if self._buffer:
            batch, self._buffer = self._buffer, []
            await self._write(batch)

    async def _write(self, records: Sequence[SinkRecord]) -> None:
        """One transaction for `records`; if PostgreSQL or the row mapping refuses it and
        the worker has an errant record reporter (errors.tolerance=all), the records go one
        by one and the refused ones to the reporter (the dead letter queue)."""
        reporter = self._context.errant_record_reporter if self._context is not None else None
        try:
            await self._write_rows(records)
        except (psycopg.Error, DataException) as error:
            if reporter is None:
                raise ConnectError(f"PostgreSQL sink refused the batch: {error}") from error
            for record in records:
                try:
                    await self._write_rows([record])
                except (psycopg.Error, DataException) as refused:
                    await reporter.report(record, refused)
                    await self._write_rows([record], skip_rows=True)

    def _rows(self, records: Sequence[SinkRecord]) -> tuple[list[SinkRow],
                                                            dict[TopicPartition, int]]:
        assert self._config is not None and self._plans is not None
        rows: list[SinkRow] = []
        next_offsets: dict[TopicPartition, int] = {}
        table_for = self._config.table_for
        for record in records:
            row = (self._plans.to_row(record, table_for(record.topic))
                   or to_row(self._config, record))
            if row is not None:
                rows.append(row)
            next_offsets[_tp(record)] = record.kafka_offset + 1
        return rows, next_offsets

    async def _write_rows(self, records: Sequence[SinkRecord], *,
                          skip_rows: bool = False) -> None:
        """Write the rows of `records` (none with `skip_rows`: only move the ledger past
        them) and their offsets in one transaction, retrying lost connections."""
        assert self._config is not None and self._tables is not None
        rows, next_offsets = self._rows(records) if not skip_rows else ([], {
            _tp(r): r.kafka_offset + 1 for r in records})
        key_names = len(rows[0].key) if rows else 0
        for attempt in range(self._config.max_retries + 1):
            try:
                await write_batch(await self._connection(), self._config, self._tables,
                                  self._stages, rows, next_offsets=next_offsets,
                                  key_names=key_names)
                break
            except psycopg.OperationalError as error:
                self._tables.forget()
                self._stages.forget()
                if attempt == self._config.max_retries:
                    raise ConnectError(f"PostgreSQL write failed after {attempt} retries: "
                                       f"{error}") from error
                log.warning("PostgreSQL write failed (%s); retrying", error)
                await self._drop_connection()
                await asyncio.sleep(self._config.retry_backoff_s)
            except psycopg.Error:
                self._tables.forget()  # the transaction's DDL was rolled back with it
                self._stages.forget()
                raise
        self._next.update(next_offsets)

    async def _drop_connection(self) -> None:
        self._stages.forget()
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def stop(self) -> None:
        """Unwritten records are dropped: their offsets were never committed, so the
        worker delivers them again to whichever task takes the partitions."""
        self._buffer = []
        await self._drop_connection()


def _tp(record: SinkRecord) -> TopicPartition:
    return TopicPartition(record.topic, record.kafka_partition or 0)
