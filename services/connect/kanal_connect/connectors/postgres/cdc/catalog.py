"""What the CDC source asks PostgreSQL's catalog: tables, columns, primary keys, and the
publication and replication slot it decodes through."""

from __future__ import annotations

import psycopg
from psycopg import sql

from kanal_connect.connectors.postgres.cdc.config import CdcConfig
from kanal_connect.connectors.postgres.cdc.envelope import Column, TableModel
from kanal_connect.connectors.postgres.pgoutput import parse_lsn
from kanal_connect.connectors.postgres.types import column_type
from kanal_connect.errors import ConnectError

_USER_TABLES = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'
ORDER BY 1, 2
"""
# Generated columns are left out, as pgoutput leaves them out of its Relation messages.
_COLUMNS = """
SELECT a.attname, a.atttypid, a.atttypmod FROM pg_attribute a
WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
ORDER BY a.attnum
"""
_PRIMARY_KEY = """
SELECT a.attname FROM pg_index i
JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = %s AND i.indisprimary ORDER BY k.position
"""

Conn = psycopg.AsyncConnection[tuple[object, ...]]


async def included_tables(conn: Conn, config: CdcConfig) -> list[tuple[str, str]]:
    rows = await (await conn.execute(_USER_TABLES)).fetchall()
    return [(str(s), str(t)) for s, t in rows if config.includes(str(s), str(t))]


async def relation_oid(conn: Conn, schema: str, table: str) -> int:
    ident = sql.Identifier(schema, table).as_string(conn)
    row = await (await conn.execute("SELECT %s::regclass::oid", (ident,))).fetchone()
    assert row is not None
    return int(str(row[0]))


async def primary_key(conn: Conn, relid: int) -> tuple[str, ...]:
    rows = await (await conn.execute(_PRIMARY_KEY, (relid,))).fetchall()
    return tuple(str(name) for (name,) in rows)


async def table_model(conn: Conn, prefix: str, schema: str, table: str) -> TableModel:
    """The model of a table as the catalog describes it now (for the snapshot)."""
    relid = await relation_oid(conn, schema, table)
    rows = await (await conn.execute(_COLUMNS, (relid,))).fetchall()
    columns = [
        Column(str(name), column_type(int(str(oid)), int(str(typmod))))
        for name, oid, typmod in rows
    ]
    return TableModel.build(prefix, schema, table, columns, await primary_key(conn, relid))


async def ensure_publication(conn: Conn, config: CdcConfig) -> None:
    """Create the publication if missing, as `publication.autocreate.mode` says."""
    found = await (
        await conn.execute(
            "SELECT 1 FROM pg_publication WHERE pubname = %s", (config.publication_name,)
        )
    ).fetchone()
    if found is not None:
        return
    name = sql.Identifier(config.publication_name)
    if config.publication_autocreate == "disabled":
        raise ConnectError(
            f"publication {config.publication_name!r} does not exist and "
            "publication.autocreate.mode is disabled"
        )
    if config.publication_autocreate == "all_tables":
        await conn.execute(sql.SQL("CREATE PUBLICATION {} FOR ALL TABLES").format(name))
        return
    tables = await included_tables(conn, config)
    if not tables:
        raise ConnectError("publication.autocreate.mode=filtered but no table matches "
                           "table.include.list")
    await conn.execute(
        sql.SQL("CREATE PUBLICATION {} FOR TABLE {}").format(
            name, sql.SQL(", ").join(sql.Identifier(s, t) for s, t in tables)
        )
    )


async def ensure_slot(conn: Conn, slot: str) -> tuple[bool, int]:
    """(created now?, the slot's confirmed position) for a pgoutput slot."""
    row = await (
        await conn.execute(
            "SELECT plugin, confirmed_flush_lsn::text FROM pg_replication_slots "
            "WHERE slot_name = %s AND slot_type = 'logical'",
            (slot,),
        )
    ).fetchone()
    if row is not None:
        if row[0] != "pgoutput":
            raise ConnectError(f"replication slot {slot!r} uses plugin {row[0]}, not pgoutput")
        return False, parse_lsn(str(row[1]))
    created = await (
        await conn.execute(
            "SELECT lsn::text FROM pg_create_logical_replication_slot(%s, 'pgoutput')", (slot,)
        )
    ).fetchone()
    assert created is not None
    return True, parse_lsn(str(created[0]))


async def drop_slot(conn: Conn, slot: str) -> None:
    await conn.execute(
        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
        "WHERE slot_name = %s",
        (slot,),
    )
