"""PostgresCdcSource against a real PostgreSQL: snapshot, streaming, restart without gaps."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import AsyncIterator

import pytest
from contexts import ConnectorContextStub, SourceContext, poll_until
from kanal_connect.connectors.postgres.cdc.connector import PostgresCdcSource
from kanal_connect.connectors.postgres.cdc.task import PostgresCdcTask
from kanal_connect.converters.json_converter import JsonConverter
from kanal_connect.data.record import SourceRecord
from kanal_connect.data.structs import Struct
from kanal_connect.errors import InvalidConnectorConfig
from pg_server import Database


def props(database: Database, **extra: str) -> dict[str, str]:
    return {
        "connection.url": database.jdbc_url,
        "database.user": "postgres",
        "topic.prefix": "shop",
        "slot.name": "kanal_" + database.name,
        "publication.name": "kanal_pub",
        "poll.interval.ms": "50",
        **extra,
    }


def valid(records: list[SourceRecord]) -> list[SourceRecord]:
    """The events as Kafka would check them before serializing (the task builds structs
    without per-field checks)."""
    for record in records:
        for part in (record.key, record.value):
            if isinstance(part, Struct):
                part.validate()
    return records


def op(record: SourceRecord) -> str | None:
    if record.value is None:
        return None  # tombstone
    assert isinstance(record.value, Struct)
    return str(record.value.get("op"))


def image(record: SourceRecord, which: str) -> dict[str, object] | None:
    assert isinstance(record.value, Struct)
    row = record.value.get(which)
    return dict(row.items()) if isinstance(row, Struct) else None


@pytest.fixture
async def customers(database: Database) -> AsyncIterator[Database]:
    database.execute(
        "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, "
        "balance numeric(10, 2), joined date)"
    )
    database.execute(
        "INSERT INTO customers VALUES (1, 'ada', 10.50, '2024-01-15'), (2, 'bob', NULL, NULL)"
    )
    yield database


async def started(database: Database, context: SourceContext, **extra: str) -> PostgresCdcTask:
    task = PostgresCdcTask()
    await task.start(props(database, **extra), context)
    return task


async def test_snapshot_then_inserts_updates_deletes_and_truncate(customers: Database) -> None:
    context = SourceContext()
    task = await started(customers, context)
    try:
        snapshot = valid(await poll_until(task, 2))
        assert [op(r) for r in snapshot] == ["r", "r"]
        assert {r.topic for r in snapshot} == {"shop.public.customers"}
        assert image(snapshot[0], "after") == {"id": 1, "name": "ada",
                                               "balance": decimal.Decimal("10.50"),
                                               "joined": dt.date(2024, 1, 15)}
        assert isinstance(snapshot[-1].value, Struct)
        source = snapshot[-1].value.get("source")
        assert isinstance(source, Struct) and source.get("snapshot") == "last"
        await context.store(task, snapshot)

        customers.execute("INSERT INTO customers VALUES (3, 'cy', 1.00, NULL)")
        customers.execute("UPDATE customers SET name = 'ada2' WHERE id = 1")
        customers.execute("DELETE FROM customers WHERE id = 2")
        customers.execute("TRUNCATE customers")
        changes = valid(await poll_until(task, 5))
        assert [op(r) for r in changes] == ["c", "u", "d", None, "t"]
        assert image(changes[1], "after") == {"id": 1, "name": "ada2",
                                              "balance": decimal.Decimal("10.50"),
                                              "joined": dt.date(2024, 1, 15)}
        assert image(changes[2], "before") == {"id": 2, "name": None, "balance": None,
                                               "joined": None}
        key = changes[2].key
        assert isinstance(key, Struct) and dict(key.items()) == {"id": 2}
        assert changes[3].key == key and changes[3].value is None
        assert changes[4].key is None
        assert isinstance(changes[0].value, Struct)
        source = changes[0].value.get("source")
        assert isinstance(source, Struct)
        assert source.get("table") == "customers" and source.get("db") == customers.name
        assert isinstance(source.get("txId"), int) and isinstance(source.get("lsn"), int)
    finally:
        await task.stop()


async def test_events_convert_to_debezium_json(customers: Database) -> None:
    task = await started(customers, SourceContext(), **{"snapshot.mode": "initial_only"})
    try:
        record = (await poll_until(task, 1))[0]
    finally:
        await task.stop()
    converter = JsonConverter()
    converter.configure({"schemas.enable": "true"}, is_key=False)
    body = json.loads(converter.from_connect(record.topic, record.value_schema,
                                                  record.value) or b"null")
    assert body["schema"]["name"] == "shop.public.customers.Envelope"
    assert body["payload"]["op"] == "r"
    assert body["payload"]["after"]["name"] == "ada"
    assert body["payload"]["source"]["connector"] == "postgresql"


async def test_restart_resumes_from_stored_offsets_without_gap(customers: Database) -> None:
    context = SourceContext()
    task = await started(customers, context)
    try:
        await context.store(task, await poll_until(task, 2))
        customers.execute("INSERT INTO customers SELECT g, 'n' || g FROM generate_series(10, 14) g")
        streamed = await poll_until(task, 5)
        # Only the first three are written before the "crash": the rest must come back.
        await context.store(task, streamed[:3], commit=False)
    finally:
        await task.stop()
    customers.execute("INSERT INTO customers VALUES (20, 'while stopped')")

    task = await started(customers, context)
    try:
        again = await poll_until(task, 3)
        assert [image(r, "after") for r in again] == [
            {"id": 13, "name": "n13", "balance": None, "joined": None},
            {"id": 14, "name": "n14", "balance": None, "joined": None},
            {"id": 20, "name": "while stopped", "balance": None, "joined": None},
        ]
        assert await task.poll() == []
    finally:
        await task.stop()


async def test_slot_is_only_advanced_after_records_are_written(customers: Database) -> None:
    context = SourceContext()
    task = await started(customers, context, **{"snapshot.mode": "never"})
    try:
        customers.execute("INSERT INTO customers VALUES (5, 'e')")
        polled = await poll_until(task, 1)
        assert len(polled) == 1
        await task.poll()  # no acknowledgement yet: the slot stays put
        slot = "kanal_" + customers.name
        before = customers.query(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = %s",
            (slot,),
        )
        await context.store(task, polled)
        after = customers.query(
            "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = %s",
            (slot,),
        )
        assert before != after
    finally:
        await task.stop()


async def test_connector_refuses_bad_configs_and_runs_one_task(database: Database) -> None:
    connector = PostgresCdcSource()
    with pytest.raises(InvalidConnectorConfig) as refused:
        connector.config_def().parse(props(database, **{"table.include.list": "a,public.(x"}))
    assert list(refused.value.field_errors) == ["table.include.list"]
    with pytest.raises(InvalidConnectorConfig, match=r"snapshot\.mode"):
        await connector.start(props(database, **{"snapshot.mode": "sometimes"}),
                              ConnectorContextStub())
    await connector.start(props(database), ConnectorContextStub())
    assert connector.task_configs(3) == [props(database)]
    await connector.stop()

