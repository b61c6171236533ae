"""The CDC source task: snapshot (if due), then the slot's changes, acknowledging the slot
only for records already written.

Acknowledgement: the slot is advanced to the end of the last fully emitted transaction
when no record returned by `poll` is still unwritten, i.e. when `commit_record` has been
called for each of them or `commit` said their offsets are stored. A crash before that
replays those transactions from the slot: at-least-once, and the stored offset (transaction
end LSN, event index) drops the replayed events that were already stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

import psycopg

from kanal_connect.api import SourceTask, SourceTaskContext
from kanal_connect.connectors.postgres.cdc import catalog
from kanal_connect.connectors.postgres.cdc.config import CdcConfig, parse_config
from kanal_connect.connectors.postgres.cdc.envelope import VERSION
from kanal_connect.connectors.postgres.cdc.snapshot import SnapshotReader
from kanal_connect.connectors.postgres.cdc.stream import ChangeStream, Position
from kanal_connect.data.record import SourceRecord
from kanal_connect.errors import ConnectError, RetriableError

log = logging.getLogger(__name__)


def snapshot_due(mode: str, stored: Mapping[str, object] | None) -> bool:
    """Whether to snapshot at start: `always`, or `initial`/`initial_only` without a
    completed snapshot or any streamed offset (an interrupted snapshot starts over)."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    if stored is None:
        return True
    return bool(stored.get("snapshot")) and not stored.get("last_snapshot_record")


def resume_position(stored: Mapping[str, object] | None) -> Position:
    if stored is None or stored.get("snapshot"):
        return Position()
    lsn, event = stored.get("lsn"), stored.get("event", 0)
    if not isinstance(lsn, int) or not isinstance(event, int):
        raise ConnectError(f"stored CDC offset is malformed: {dict(stored)}")
    return Position(lsn, event)


class PostgresCdcTask(SourceTask):
    def __init__(self) -> None:
        self._config: CdcConfig | None = None
        self._conn: catalog.Conn | None = None
        self._stream: ChangeStream | None = None
        self._snapshot: SnapshotReader | None = None
        self._streaming = True
        self._outstanding = 0  # records returned by poll and not yet known to be written
        self._advanced = 0

    def version(self) -> str:
        return VERSION

    async def start(self, props: Mapping[str, str], context: SourceTaskContext) -> None:
        config = self._config = parse_config(props)
        partition: dict[str, object] = {"server": config.topic_prefix}
        conn = self._conn = await psycopg.AsyncConnection.connect(
            config.conninfo, autocommit=True
        )
        await catalog.ensure_publication(conn, config)
        _created, slot_lsn = await catalog.ensure_slot(conn, config.slot_name)
        stored = await context.offset_storage_reader.offset(partition)
        visibility = None
        if snapshot_due(config.snapshot_mode, stored):
            self._snapshot = SnapshotReader(config, partition, slot_lsn)
            await self._snapshot.open()
            visibility = self._snapshot.visibility
            self._streaming = config.snapshot_mode != "initial_only"
        self._stream = ChangeStream(conn, config, partition, resume_position(stored), visibility)

    async def poll(self) -> list[SourceRecord]:
        assert self._config is not None and self._stream is not None
        try:
            if self._conn is None:
                await self._reconnect()
            records = await self._next()
        except psycopg.OperationalError as error:
            if self._snapshot is not None:
                # A snapshot cannot continue in a new transaction: fail, and the restart
                # takes the snapshot again (no offset marks it complete).
                raise ConnectError(f"PostgreSQL failed during the snapshot: {error}") from error
            await self._drop_connection()
            raise RetriableError(f"PostgreSQL: {error}") from error
        if not records:
            await asyncio.sleep(self._config.poll_interval_s)
        self._outstanding += len(records)
        return records

    async def _next(self) -> list[SourceRecord]:
        assert self._stream is not None
        if self._snapshot is not None:
            batch = await self._snapshot.next_batch()
            if self._snapshot.finished:
                self._snapshot = None
            if batch:
                return batch
        if not self._streaming:
            return []
        await self._acknowledge()
        return await self._stream.read()

    async def _reconnect(self) -> None:
        assert self._config is not None and self._stream is not None
        self._conn = await psycopg.AsyncConnection.connect(self._config.conninfo,
                                                           autocommit=True)
        self._stream.use(self._conn)

    async def _drop_connection(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

    async def commit_record(self, record: SourceRecord) -> None:
        self._outstanding = max(0, self._outstanding - 1)

    async def commit(self) -> None:
        self._outstanding = 0
        try:
            await self._acknowledge()
        except psycopg.OperationalError as error:
            log.warning("could not confirm the replication slot (%s); retrying later", error)
            await self._drop_connection()

    async def _acknowledge(self) -> None:
        stream = self._stream
        if self._conn is None:
            return  # the next poll reconnects; the slot is confirmed then
        if stream is not None and self._outstanding == 0 and stream.emitted > self._advanced:
            await stream.advance(stream.emitted)
            self._advanced = stream.emitted

    async def stop(self) -> None:
        if self._snapshot is not None:
            await self._snapshot.close()
            self._snapshot = None
        if self._conn is not None and self._config is not None and self._config.slot_drop_on_stop:
            await catalog.drop_slot(self._conn, self._config.slot_name)
        await self._drop_connection()
