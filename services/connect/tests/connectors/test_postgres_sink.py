"""PostgresSink against a real PostgreSQL: upserts converge, tombstones delete, and the
offsets ledger makes redelivery harmless."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from contexts import CollectingReporter, SinkContext
from kanal.types import TopicPartition
from kanal_connect.connectors.postgres.sink.connector import PostgresSink
from kanal_connect.connectors.postgres.sink.task import PostgresSinkTask
from kanal_connect.data.record import SinkRecord
from kanal_connect.data.schema import INT32, INT64, OPTIONAL_STRING, struct
from kanal_connect.data.structs import Struct
from kanal_connect.errors import ConnectError
from pg_server import Database

KEY = struct([("id", INT32)], name="Key")
VALUE = struct([("id", INT32), ("name", OPTIONAL_STRING), ("visits", INT64)], name="Value")
TP = TopicPartition("users", 0)


def props(database: Database, **extra: str) -> dict[str, str]:
    return {
        "name": "users-sink",
        "connection.url": database.jdbc_url,
        "connection.user": "postgres",
        "topics": "users",
        "insert.mode": "upsert",
        "pk.mode": "record_key",
        "auto.create": "true",
        "auto.evolve": "true",
        "delete.enabled": "true",
        "batch.size": "7",
        **extra,
    }


def record(offset: int, user: int, visits: int | None) -> SinkRecord:
    key = Struct(KEY).put("id", user)
    value = (Struct(VALUE).put("id", user).put("name", f"u{user}").put("visits", visits)
             if visits is not None else None)
    return SinkRecord(topic="users", kafka_partition=0, kafka_offset=offset, key_schema=KEY,
                      key=key, value_schema=VALUE if value is not None else None, value=value)


def history() -> list[SinkRecord]:
    """Users 0..9 updated in turn; every third record of user 4 is a tombstone."""
    records, offset = [], 0
    for round_ in range(5):
        for user in range(10):
            deleted = user == 4 and round_ in (1, 4)
            records.append(record(offset, user, None if deleted else round_ * 100 + user))
            offset += 1
    return records


async def run(database: Database, records: list[SinkRecord],
              extra: Mapping[str, str] | None = None,
              reporter: CollectingReporter | None = None) -> SinkContext:
    context = SinkContext([TP], reporter)
    task = PostgresSinkTask()
    await task.start(props(database, **(extra or {})), context)
    try:
        await task.open([TP])
        await task.put(records)
        assert await task.pre_commit({TP: len(records)}) == {TP: len(records)}
    finally:
        await task.stop()
    return context


async def test_upserts_converge_to_the_latest_value_per_key(database: Database) -> None:
    await run(database, history())
    rows = database.query("SELECT id, name, visits FROM users ORDER BY id")
    expected = [(u, f"u{u}", 400 + u) for u in range(10) if u != 4]
    assert rows == expected
    assert database.query(
        "SELECT topic, kafka_partition, next_offset FROM __kanal_connect_offsets "
        "WHERE connector = 'users-sink'"
    ) == [("users", 0, 50)]


async def test_redelivery_after_a_crash_is_skipped_and_seeked(database: Database) -> None:
    records = history()
    await run(database, records[:23])
    database.execute("UPDATE users SET name = 'touched' WHERE id = 1")
    # The worker crashed before committing consumer offsets: the same records come again.
    context = await run(database, records[:23])
    assert context.seeks == {TP: 23}
    assert database.query("SELECT name FROM users WHERE id = 1") == [("touched",)]
    await run(database, records)
    assert database.query("SELECT id, visits FROM users ORDER BY id") == [
        (u, 400 + u) for u in range(10) if u != 4
    ]


async def test_insert_mode_with_kafka_coordinates_as_key(database: Database) -> None:
    records = history()[:12]
    await run(database, records, {"insert.mode": "insert", "pk.mode": "kafka",
                                    "delete.enabled": "false"})
    rows = database.query(
        "SELECT __connect_topic, __connect_partition, __connect_offset, id FROM users "
        "ORDER BY __connect_offset"
    )
    assert [r[2] for r in rows] == [r.kafka_offset for r in records]


async def test_schemaless_values_and_auto_evolve(database: Database) -> None:
    first = SinkRecord(topic="users", kafka_partition=0, kafka_offset=0, key=7,
                       value={"id": 7, "city": "Oslo"})
    second = SinkRecord(topic="users", kafka_partition=0, kafka_offset=1, key=7,
                        value={"id": 7, "city": "Bergen", "zip": 5003})
    await run(database, [first, second], {"pk.fields": "user_id"})
    assert database.query("SELECT user_id, id, city, zip FROM users") == [(7, 7, "Bergen", 5003)]


def test_validation_refuses_deletes_without_record_key() -> None:
    connector = PostgresSink()
    errors = connector.validate_extra({"delete.enabled": "true", "pk.mode": "record_value",
                                       "insert.mode": "upsert"})
    assert list(errors) == ["delete.enabled"]
    errors = connector.validate_extra({"insert.mode": "upsert"})
    assert list(errors) == ["pk.mode"]


async def test_update_mode_changes_only_existing_rows(database: Database) -> None:
    database.execute("CREATE TABLE users (id int PRIMARY KEY, name text, visits bigint)")
    database.execute("INSERT INTO users VALUES (1, 'old', 0)")
    await run(database, [record(0, 1, 5), record(1, 2, 7)],
              {"insert.mode": "update", "auto.create": "false", "delete.enabled": "false"})
    assert database.query("SELECT id, name, visits FROM users") == [(1, "u1", 5)]


async def test_nested_values_are_stored_as_jsonb(database: Database) -> None:
    inner = struct([("city", OPTIONAL_STRING)], name="Address")
    outer = struct([("id", INT32), ("address", inner)], name="Person")
    value = Struct(outer).put("id", 3).put("address", Struct(inner).put("city", "Oslo"))
    nested = SinkRecord(topic="people", kafka_partition=0, kafka_offset=0,
                        key_schema=KEY, key=Struct(KEY).put("id", 3),
                        value_schema=outer, value=value)
    await run(database, [nested], {"topics": "people"})
    assert database.query("SELECT id, address->>'city' FROM people") == [(3, "Oslo")]


async def test_missing_table_without_auto_create_fails_the_batch(database: Database) -> None:
    with pytest.raises(ConnectError, match=r"auto\.create"):
        await run(database, [record(0, 1, 1)], {"auto.create": "false"})
    assert database.query(
        "SELECT count(*) FROM __kanal_connect_offsets"
    ) == [(0,)]


async def test_refused_records_go_to_the_errant_record_reporter(database: Database) -> None:
    database.execute("CREATE TABLE users (id int PRIMARY KEY, name varchar(2), visits bigint)")
    reporter = CollectingReporter()
    # u1 .. u9 fit varchar(2); record 3 is for user 10: "u10" does not.
    records = [record(i, user, 1) for i, user in enumerate([1, 2, 3, 10, 4])]
    await run(database, records, {"auto.create": "false"}, reporter)
    assert [r.kafka_offset for r, _error in reporter.reported] == [3]
    assert database.query("SELECT id FROM users ORDER BY id") == [(1,), (2,), (3,), (4,)]
    assert database.query("SELECT next_offset FROM __kanal_connect_offsets") == [(5,)]


async def test_without_a_reporter_a_refused_batch_fails_the_task(database: Database) -> None:
    database.execute("CREATE TABLE users (id int PRIMARY KEY, name varchar(2), visits bigint)")
    with pytest.raises(ConnectError, match="refused"):
        await run(database, [record(0, 10, 1)], {"auto.create": "false"})
    assert database.query("SELECT count(*) FROM users") == [(0,)]
