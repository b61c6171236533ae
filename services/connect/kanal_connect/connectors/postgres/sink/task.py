"""The sink task: records in, rows out, exactly once.

Exactly-once: each batch's rows and the next offset per partition commit in one
PostgreSQL transaction (see `writer`). On `open` the task reads those offsets and seeks
the worker's consumer there (`context.offset`), and `put` drops any record below them, so a
redelivery after a crash or rebalance never writes a row twice. The consumer offsets the
worker commits to Kafka are only a hint; the table's ledger is the truth.

Pipelining: `put` buffers records and returns; a transaction writes up to `batch.size` of
them in the background while the worker fetches and converts the next ones (PostgreSQL and
the worker overlap on different cores instead of taking turns). At most one write is in
flight; when it is done the next starts at once with whatever was buffered meanwhile, so
batches grow with the load and a record waits only for the writes ahead of it, never for
the offset flush (as JDBC's sink, which writes every `put`). `put` waits only
while a full batch is already buffered behind the write in flight. Writes stay strictly
ordered, and every other entry point (`flush` and so `pre_commit`, `open`, `close`) waits for
them: the worker commits no offset, nor forgets a record it may have to send to the dead
letter queue, before the write holding it is done. Only the transaction runs in the
background: a refused batch is retried record by record, and reported, in the worker's own
call that waits for it. A failed write fails every later call until `stop`: nothing is
written after a batch that was not.
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
        self._writing: asyncio.Task[None] | None = None  # the transaction in flight
        self._in_flight: Sequence[SinkRecord] = ()  # its records
        self._failure: Exception | None = None  # a write failed: so does every later call

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
        await self._drained()  # the ledger is read on the connection writing the batches
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
        await self._drained()
        for tp in partitions:
            self._next.pop(tp, None)

    async def put(self, records: Sequence[SinkRecord]) -> None:
        """Buffer records and start writing them unless a write is in flight (the next
        write starts with them when it is done). Waits while a full batch is buffered."""
        assert self._config is not None
        if self._failure is not None or (self._writing is not None and self._writing.done()):
            await self._written()  # a failure fails this put, before it buffers anything
        self._buffer += self._unwritten(records)
        self._start_next()
        while len(self._buffer) >= self._config.batch_size:
            await self._written()
            self._start_next()

    def _start_next(self) -> None:
        """Start writing the buffer's first `batch.size` records, when nothing is in flight
        and no write failed."""
        if self._writing is not None or not self._buffer or self._failure is not None:
            return
        assert self._config is not None
        size = self._config.batch_size
        batch, self._buffer = self._buffer[:size], self._buffer[size:]
        self._in_flight = batch
        self._writing = asyncio.create_task(self._write_rows(batch),
                                            name="postgres-sink-write")
        self._writing.add_done_callback(self._on_written)

    def _on_written(self, writing: asyncio.Task[None]) -> None:
        """A write succeeded: the next starts at once. A failed one waits for `_written`,
        in the worker's call, and a cancelled one was `stop`'s."""
        if writing is not self._writing or writing.cancelled() or writing.exception():
            return
        self._writing, self._in_flight = None, ()
        self._start_next()

    def _unwritten(self, records: Sequence[SinkRecord]) -> list[SinkRecord]:
        """`records` without those the ledger holds already (a redelivery). The floor is
        looked up once per run of records of one partition, not once per record."""
        fresh: list[SinkRecord] = []
        topic, partition, floor = None, None, 0
        for record in records:
            if record.kafka_partition != partition or record.topic != topic:
                topic, partition = record.topic, record.kafka_partition
                floor = self._next.get(_tp(record), 0)
            if record.kafka_offset >= floor:
                fresh.append(record)
        return fresh

    async def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        await self._drained()

    async def _drained(self) -> None:
        """Wait until every buffered record is written (or a write failed: raised)."""
        while self._writing is not None or self._buffer:
            self._start_next()
            await self._written()

    async def _written(self) -> None:
        """Wait for the transaction in flight. A batch PostgreSQL or the row mapping refused
        is handled here, in the worker's own call, not in the background: the errant record
        reporter is called exactly as without pipelining. A failure is kept, and raised again
        by every later call (the worker fails the task on the first)."""
        if self._failure is not None:
            raise self._failure
        writing = self._writing
        if writing is None:
            return
        try:
            try:
                await writing
            except (psycopg.Error, DataException) as error:
                await self._refused(self._in_flight, error)
        except Exception as failure:
            self._failure = failure
            raise
        finally:
            # Not if our caller was cancelled (`stop` settles it), nor if the write that
            # followed this one is already in flight.
            if writing.done() and self._writing is writing:
                self._writing, self._in_flight = None, ()

    async def _refused(self, records: Sequence[SinkRecord], error: Exception) -> None:
        """The batch `records` was refused: without an errant record reporter that fails
        the task; with one (errors.tolerance=all) the records go one by one and the refused
        ones to the reporter (the dead letter queue)."""
        reporter = self._context.errant_record_reporter if self._context is not None else None
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
        last: dict[tuple[str, int], int] = {}  # per partition, without a TopicPartition each
        table_for, planned = self._config.table_for, self._plans.to_row
        for record in records:
            row = planned(record, table_for(record.topic)) or to_row(self._config, record)
            if row is not None:
                rows.append(row)
            last[(record.topic, record.kafka_partition or 0)] = record.kafka_offset
        return rows, {TopicPartition(*tp): offset + 1 for tp, offset in last.items()}

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
        worker delivers them again to whichever task takes the partitions. A write still in
        flight (the worker's loop ended without a last commit) is cancelled: its transaction
        rolls back, or it committed with its ledger row; either way the next owner starts
        from the ledger."""
        self._buffer = []
        writing, self._writing, self._in_flight = self._writing, None, ()
        if writing is not None:
            writing.cancel()
            await asyncio.wait({writing})  # neither raises its error nor swallows our cancel
            if not writing.cancelled():
                writing.exception()  # retrieved: the error was the task's, now stopping
        await self._drop_connection()


def _tp(record: SinkRecord) -> TopicPartition:
    return TopicPartition(record.topic, record.kafka_partition or 0)
