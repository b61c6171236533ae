"""Decoding the replication slot into Debezium events, one whole transaction at a time.

The slot is read through the SQL interface, which keeps everything on one ordinary asyncio
connection (psycopg has no replication protocol). Two slots take part:

- the connector's durable slot (`slot.name`) only moves when `advance` confirms a
  position, which the task does once the records before it are written, so a crash
  replays from there and never skips;
- a temporary working copy of it (`pg_copy_logical_replication_slot`), read with the
  consuming `pg_logical_slot_get_binary_changes`, so each read continues where the last
  ended even while nothing is confirmed yet (peeking the durable slot would return the
  same unconfirmed transactions again and again). PostgreSQL drops the copy with the
  session; a new session copies the durable slot again, and `Position` skips what the
  stored offsets already hold.

Events are positioned by (end LSN of their transaction's commit, index within it): the
offset stored with each record, so a restart resumes exactly after the last stored event,
even in the middle of a transaction.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from kanal_connect.connectors.postgres.cdc import catalog
from kanal_connect.connectors.postgres.cdc.config import CdcConfig
from kanal_connect.connectors.postgres.cdc.envelope import (
    Column,
    SourceInfo,
    TableModel,
    change_event,
    tombstone,
)
from kanal_connect.connectors.postgres.pgoutput import (
    UNCHANGED,
    Begin,
    Commit,
    Delete,
    Insert,
    Relation,
    Truncate,
    TupleData,
    Update,
    format_lsn,
    parse_message,
    timestamp_ms,
)
from kanal_connect.connectors.postgres.types import column_type, decode_text
from kanal_connect.data.record import SourceRecord
from kanal_connect.data.schema import SchemaType
from kanal_connect.data.structs import Struct
from kanal_connect.errors import DataException

# Debezium's stand-in for a TOASTed text value an update left untouched (pgoutput omits it).
UNAVAILABLE = "__debezium_unavailable_value"

Row = list[object]  # a value per column, in the table's column order
_WHOLE = 2**62  # an event index past any transaction's last: "the whole transaction"


@dataclass(frozen=True, slots=True)
class Position:
    """The last event already handled: (transaction end LSN, event index, 1-based)."""

    lsn: int = 0
    event: int = 0


@dataclass(frozen=True, slots=True)
class SnapshotVisibility:
    """`pg_current_snapshot()` of the snapshot transaction: a streamed transaction it saw is
    already in the snapshot and is skipped (the slot was created before the snapshot, so
    the two overlap rather than leave a gap). 32-bit xids, as pgoutput sends them."""

    xmin: int
    xmax: int
    in_progress: frozenset[int]

    def saw(self, xid: int) -> bool:
        return xid < self.xmin or (xid < self.xmax and xid not in self.in_progress)

    @classmethod
    def parse(cls, text: str) -> SnapshotVisibility:
        xmin, xmax, xip = text.split(":")
        return cls(int(xmin) & 0xFFFFFFFF, int(xmax) & 0xFFFFFFFF,
                   frozenset(int(x) & 0xFFFFFFFF for x in xip.split(",") if x))


@dataclass
class _Change:
    table: TableModel
    op: str
    before: Row | None
    after: Row | None


@dataclass
class _Transaction:
    xid: int
    commit_ts_us: int
    changes: list[_Change] = field(default_factory=list)


class ChangeStream:
    """Turns the slot's pgoutput rows into records after `resume`; `emitted` is the end LSN of
    the last transaction fully handled (what the slot may be advanced to once its records
    are written), 0 before the first."""

    def __init__(self, conn: catalog.Conn, config: CdcConfig, partition: dict[str, object],
                 resume: Position, visibility: SnapshotVisibility | None = None) -> None:
        self._conn = conn
        self._config = config
        self._partition = partition
        self._after = resume
        self._visibility = visibility
        self._relations: dict[int, TableModel | None] = {}
        # Every read is a new decoding session that announces each relation again: the
        # model (and its primary key query) is reused while the announcement is unchanged.
        self._models: dict[Relation, TableModel | None] = {}
        self._tx: _Transaction | None = None
        self._working: str | None = None  # the temporary copy, once made in this session
        self.emitted = 0

    def use(self, conn: catalog.Conn) -> None:
        """Continue on a new connection (after the old one failed); the position is kept
        and the working copy is made again from the durable slot."""
        self._conn = conn
        self._tx = None
        self._working = None

    async def _working_slot(self) -> str:
        if self._working is None:
            row = await (await self._conn.execute("SELECT pg_backend_pid()")).fetchone()
            assert row is not None
            name = f"{self._config.slot_name[:48]}_work_{row[0]}"
            await self._conn.execute(
                "SELECT pg_copy_logical_replication_slot(%s, %s, true)",
                (self._config.slot_name, name),
            )
            self._working = name
        return self._working

    async def read(self) -> list[SourceRecord]:
        """Records of the transactions committed since the last read (at least one whole
        transaction when any is pending, about `max.batch.size` changes otherwise)."""
        working = await self._working_slot()
        rows = await (
            await self._conn.execute(
                "SELECT data FROM pg_logical_slot_get_binary_changes(%s, NULL, %s, "
                "'proto_version', '1', 'publication_names', %s)",
                (working, self._config.max_batch_size, self._config.publication_name),
                binary=True,  # the bytea as it is, not hex text to parse
            )
        ).fetchall()
        records: list[SourceRecord] = []
        for (data,) in rows:
            if not isinstance(data, bytes | memoryview):
                raise DataException(f"unexpected slot data {type(data).__name__}")
            records += await self._handle(bytes(data))
        return records

    async def advance(self, lsn: int) -> None:
        """Confirm the slot up to `lsn`: PostgreSQL may recycle the WAL before it."""
        await self._conn.execute(
            "SELECT pg_replication_slot_advance(%s, %s::pg_lsn)",
            (self._config.slot_name, format_lsn(lsn)),
        )

    async def _handle(self, data: bytes) -> list[SourceRecord]:
        message = parse_message(data)
        if type(message) is Insert and self._tx is not None:  # the common case first
            table = self._table(message.relid)
            if table is not None:
                self._tx.changes.append(_Change(table, "c", None, _row(table, message.new)))
        elif isinstance(message, Begin):
            self._tx = _Transaction(message.xid, message.commit_ts_us)
        elif isinstance(message, Relation):
            if message not in self._models:
                self._models[message] = await self._model(message)
            self._relations[message.relid] = self._models[message]
        elif isinstance(message, Commit):
            return self._commit(message)
        elif isinstance(message, Insert | Update | Delete | Truncate):
            if self._tx is None:
                raise DataException("pgoutput: change outside a transaction")
            self._tx.changes += self._changes(message)
        return []

    async def _model(self, relation: Relation) -> TableModel | None:
        if not self._config.includes(relation.namespace, relation.name):
            return None
        columns = [Column(c.name, column_type(c.type_oid, c.typmod)) for c in relation.columns]
        key = await catalog.primary_key(self._conn, relation.relid)
        return TableModel.build(
            self._config.topic_prefix, relation.namespace, relation.name, columns, key
        )

    def _table(self, relid: int) -> TableModel | None:
        if relid not in self._relations:
            raise DataException(f"pgoutput: change for relation {relid} before its Relation")
        return self._relations[relid]

    def _changes(self, message: Insert | Update | Delete | Truncate) -> Iterator[_Change]:
        if isinstance(message, Truncate):
            for relid in message.relids:
                table = self._table(relid)
                if table is not None:
                    yield _Change(table, "t", None, None)
            return
        table = self._table(message.relid)
        if table is None:
            return
        if isinstance(message, Insert):
            yield _Change(table, "c", None, _row(table, message.new))
        elif isinstance(message, Delete):
            yield _Change(table, "d", _row(table, message.old), None)
        else:
            after = _row(table, message.new)
            before = _row(table, message.old) if message.old is not None else None
            if before is not None and table.key(before) != table.key(after):
                # A primary key change is a delete of the old key and a create of the new.
                yield _Change(table, "d", before, None)
                yield _Change(table, "c", None, after)
            else:
                yield _Change(table, "u", before, after)

    def _commit(self, commit: Commit) -> list[SourceRecord]:
        tx, self._tx = self._tx, None
        if tx is None:
            raise DataException("pgoutput: Commit without Begin")
        end = commit.end_lsn
        seen_by_snapshot = self._visibility is not None and self._visibility.saw(tx.xid)
        if end < self._after.lsn or seen_by_snapshot:
            records = []
        else:
            skip = self._after.event if end == self._after.lsn else 0
            records = list(self._records(tx, commit, skip))
            self._after = Position(end, _WHOLE)
        self.emitted = max(self.emitted, end)
        return records

    def _records(self, tx: _Transaction, commit: Commit, skip: int) -> Iterator[SourceRecord]:
        ts_ms = timestamp_ms(tx.commit_ts_us)
        info = SourceInfo(self._config.topic_prefix, self._config.dbname, ts_ms, "false",
                          tx.xid, commit.commit_lsn)
        sources: dict[int, Struct] = {}  # one source block per table of the transaction
        now_ms = int(time.time() * 1000)
        index = 0
        for change in tx.changes:
            index += 1
            source = sources.get(id(change.table))
            if source is None:
                source = sources[id(change.table)] = info.struct_for(change.table)
            offset = {"lsn": commit.end_lsn, "txId": tx.xid, "event": index}
            event = change_event(change.table, change.op, change.before, change.after, source,
                                 partition=self._partition, offset=offset, now_ms=now_ms,
                                 source_ts_ms=ts_ms)
            if index > skip:
                yield event
            if change.op == "d" and self._config.tombstones_on_delete:
                index += 1
                if index > skip:
                    yield tombstone(event, {"lsn": commit.end_lsn, "txId": tx.xid,
                                            "event": index})


def _row(table: TableModel, values: TupleData) -> Row:
    if len(values) != len(table.columns):
        raise DataException(
            f"pgoutput: {len(values)} values for {len(table.columns)} columns of "
            f"{table.schema_name}.{table.table_name}"
        )
    try:
        # Text values straight to their decoder; nulls, unchanged TOAST values, and a
        # decoder's ValueError/ArithmeticError go the checked way, which words the error.
        return [column.type.decode(value) if type(value) is str else _value(column, value)
                for column, value in zip(table.columns, values, strict=True)]
    except (ValueError, ArithmeticError):
        return [_value(column, value) for column, value in zip(table.columns, values,
                                                               strict=True)]


def _value(column: Column, value: str | bytes | object) -> object:
    if value is None:
        return None
    if value is UNCHANGED:
        return UNAVAILABLE if column.type.schema.type is SchemaType.STRING else None
    if isinstance(value, bytes):
        raise DataException("pgoutput: binary column values are not requested")
    assert isinstance(value, str)
    return decode_text(column.type, value)
