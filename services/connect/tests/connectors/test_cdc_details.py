"""PostgresCdcSource details: key changes, replica identity, table filters, snapshot modes,
column types."""

from __future__ import annotations

import datetime as dt

import pytest
from contexts import SourceContext, poll_until
from kanal_connect.connectors.postgres.cdc.stream import SnapshotVisibility
from kanal_connect.connectors.postgres.cdc.task import PostgresCdcTask
from kanal_connect.data.record import SourceRecord
from kanal_connect.data.structs import Struct
from kanal_connect.errors import RetriableError
from pg_server import Database


def props(database: Database, **extra: str) -> dict[str, str]:
    return {"connection.url": database.url, "topic.prefix": "db",
            "slot.name": "s_" + database.name, "poll.interval.ms": "50", **extra}


def op(record: SourceRecord) -> str | None:
    return str(record.value.get("op")) if isinstance(record.value, Struct) else None


def image(record: SourceRecord, which: str) -> dict[str, object] | None:
    assert isinstance(record.value, Struct)
    row = record.value.get(which)
    return dict(row.items()) if isinstance(row, Struct) else None


async def stream(database: Database, statements: list[str], count: int,
                 **extra: str) -> list[SourceRecord]:
    task = PostgresCdcTask()
    await task.start(props(database, **{"snapshot.mode": "never", **extra}), SourceContext())
    try:
        for statement in statements:
            database.execute(statement)
        records = await poll_until(task, count)
        for record in records:
            for part in (record.key, record.value):
                if isinstance(part, Struct):
                    part.validate()
        return records
    finally:
        await task.stop()


async def test_a_primary_key_change_is_a_delete_and_a_create(database: Database) -> None:
    database.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
    database.execute("INSERT INTO t VALUES (1, 'a')")
    records = await stream(database, ["UPDATE t SET id = 2 WHERE id = 1"], 3)
    assert [op(r) for r in records] == ["d", None, "c"]
    assert [dict(r.key.items()) for r in records if isinstance(r.key, Struct)] == [
        {"id": 1}, {"id": 1}, {"id": 2}]


async def test_replica_identity_full_gives_the_before_image(database: Database) -> None:
    database.execute("CREATE TABLE t (id int PRIMARY KEY, v text)")
    database.execute("ALTER TABLE t REPLICA IDENTITY FULL")
    database.execute("INSERT INTO t VALUES (1, 'a')")
    records = await stream(database, ["UPDATE t SET v = 'b' WHERE id = 1"], 1)
    assert op(records[0]) == "u"
    assert image(records[0], "before") == {"id": 1, "v": "a"}
    assert image(records[0], "after") == {"id": 1, "v": "b"}


async def test_filtered_publication_and_include_list(database: Database) -> None:
    database.execute("CREATE TABLE wanted (id int PRIMARY KEY)")
    database.execute("CREATE TABLE ignored (id int PRIMARY KEY)")
    records = await stream(
        database,
        ["INSERT INTO ignored VALUES (1)", "INSERT INTO wanted VALUES (2)"], 1,
        **{"table.include.list": r"public\.want.*", "publication.autocreate.mode": "filtered",
           "publication.name": "only_wanted"},
    )
    assert [r.topic for r in records] == ["db.public.wanted"]
    assert database.query(
        "SELECT tablename FROM pg_publication_tables WHERE pubname = 'only_wanted'"
    ) == [("wanted",)]


async def test_snapshot_mode_never_and_no_tombstones(database: Database) -> None:
    database.execute("CREATE TABLE t (id int PRIMARY KEY)")
    database.execute("INSERT INTO t VALUES (1)")
    records = await stream(database, ["DELETE FROM t"], 1,
                           **{"tombstones.on.delete": "false"})
    assert [op(r) for r in records] == ["d"]
    assert image(records[0], "before") == {"id": 1}


async def test_column_types(database: Database) -> None:
    database.execute(
        "CREATE TABLE t (id bigint PRIMARY KEY, small smallint, flag boolean, ratio real, "
        "big double precision, raw bytea, at timestamp, day date, clock time, "
        "zoned timestamptz, doc jsonb, word varchar(5), free numeric)"
    )
    records = await stream(database, [
        "INSERT INTO t VALUES (9000000000, -3, true, 0.5, 1e100, '\\x00ff', "
        "'2024-01-15 10:00:00.123', '2024-01-15', '10:00:01', '2024-01-15 10:00:00+00', "
        "'{\"a\": 1}', 'héllo', 12.3456)"
    ], 1)
    after = image(records[0], "after")
    assert after == {
        "id": 9_000_000_000, "small": -3, "flag": True, "ratio": 0.5, "big": 1e100,
        "raw": b"\x00\xff", "at": dt.datetime(2024, 1, 15, 10, 0, 0, 123000, tzinfo=dt.UTC),
        "day": dt.date(2024, 1, 15), "clock": dt.time(10, 0, 1),
        "zoned": "2024-01-15 10:00:00+00", "doc": '{"a": 1}', "word": "héllo",
        "free": "12.3456",
    }


def test_snapshot_visibility() -> None:
    seen = SnapshotVisibility.parse("100:105:101,103")
    assert seen.saw(99) and seen.saw(102) and seen.saw(104)
    assert not seen.saw(101) and not seen.saw(103) and not seen.saw(105)


async def test_database_date_style_does_not_change_the_values(database: Database) -> None:
    database.execute(f"ALTER DATABASE {database.name} SET DateStyle = 'SQL, DMY'")
    database.execute("CREATE TABLE t (id int PRIMARY KEY, day date)")
    records = await stream(database, ["INSERT INTO t VALUES (1, '2024-01-15')"], 1)
    assert image(records[0], "after") == {"id": 1, "day": dt.date(2024, 1, 15)}


async def test_a_lost_connection_is_retriable_and_resumes_without_gap(
    database: Database,
) -> None:
    database.execute("CREATE TABLE t (id int PRIMARY KEY)")
    context = SourceContext()
    task = PostgresCdcTask()
    await task.start(props(database, **{"snapshot.mode": "never"}), context)
    try:
        database.execute("INSERT INTO t VALUES (1)")
        first = await poll_until(task, 1)
        await context.store(task, first)
        database.execute("INSERT INTO t VALUES (2)")
        database.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'kanal-connect' AND datname = current_database()"
        )
        with pytest.raises(RetriableError):
            await task.poll()
        database.execute("INSERT INTO t VALUES (3)")
        rest = await poll_until(task, 2)
        assert [image(r, "after") for r in rest] == [{"id": 2}, {"id": 3}]
    finally:
        await task.stop()


async def test_reading_moves_on_before_anything_is_acknowledged(database: Database) -> None:
    database.execute("CREATE TABLE t (id int PRIMARY KEY)")
    task = PostgresCdcTask()
    await task.start(props(database, **{"snapshot.mode": "never", "max.batch.size": "1"}),
                     SourceContext())
    try:
        for n in range(3):
            database.execute(f"INSERT INTO t VALUES ({n})")
        records = await poll_until(task, 3)  # one transaction per poll, none confirmed
        assert [image(r, "after") for r in records] == [{"id": 0}, {"id": 1}, {"id": 2}]
    finally:
        await task.stop()
