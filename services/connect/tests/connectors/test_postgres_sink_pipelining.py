"""PostgresSink's pipelined writes: `put` returns while a batch's transaction runs, yet
batches land strictly in order, records put meanwhile follow as soon as it is done (no
flush needed), a refused record still reaches the errant record reporter before
`pre_commit` lets the worker forget it, a failed batch stops every later one, and a stop
with a write in flight neither loses nor doubles a row."""

from __future__ import annotations

import asyncio

import pytest
from contexts import CollectingReporter, SinkContext
from kanal.types import TopicPartition
from kanal_connect.connectors.postgres.sink.task import PostgresSinkTask
from kanal_connect.data.record import SinkRecord
from kanal_connect.data.schema import INT32, INT64, OPTIONAL_STRING, struct
from kanal_connect.data.structs import Struct
from kanal_connect.errors import ConnectError
from pg_server import Database

KEY = struct([("id", INT32)], name="Key")
VALUE = struct([("id", INT32), ("name", OPTIONAL_STRING), ("visits", INT64)], name="Value")
TP = TopicPartition("users", 0)
# Every insert or update of `users`, in the order PostgreSQL applied them.
APPLIED_LOG = """
CREATE TABLE users (id int PRIMARY KEY, name varchar(2), visits bigint);
CREATE TABLE applied (n serial PRIMARY KEY, id int, visits bigint);
CREATE FUNCTION log_applied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO applied (id, visits) VALUES (NEW.id, NEW.visits); RETURN NEW; END $$;
CREATE TRIGGER applied AFTER INSERT OR UPDATE ON users
FOR EACH ROW EXECUTE FUNCTION log_applied();
"""


def props(database: Database, batch_size: int, **extra: str) -> dict[str, str]:
    return {
        "name": "users-sink", "connection.url": database.jdbc_url,
        "connection.user": "postgres", "topics": "users", "insert.mode": "upsert",
        "pk.mode": "record_key", "auto.create": "false", "batch.size": str(batch_size),
        **extra,
    }


def record(offset: int, user: int, visits: int) -> SinkRecord:
    value = Struct(VALUE).put("id", user).put("name", f"u{user}").put("visits", visits)
    return SinkRecord(topic="users", kafka_partition=0, kafka_offset=offset, key_schema=KEY,
                      key=Struct(KEY).put("id", user), value_schema=VALUE, value=value)


def ledger(database: Database) -> list[tuple[object, ...]]:
    return database.query("SELECT next_offset FROM __kanal_connect_offsets")


async def started(database: Database, batch_size: int,
                  reporter: CollectingReporter | None = None,
                  extra: dict[str, str] | None = None) -> PostgresSinkTask:
    task = PostgresSinkTask()
    await task.start(props(database, batch_size, **(extra or {})),
                     SinkContext([TP], reporter))
    await task.open([TP])
    return task


async def test_batches_are_applied_in_offset_order(database: Database) -> None:
    database.execute(APPLIED_LOG)
    # One key, one record per batch: any overlap or reordering of batches shows in the log.
    records = [record(offset, 1, offset) for offset in range(40)]
    task = await started(database, batch_size=1)
    try:
        for one in records:
            await task.put([one])
        await task.pre_commit({TP: len(records)})
    finally:
        await task.stop()
    applied = database.query("SELECT visits FROM applied ORDER BY n")
    assert applied == [(offset,) for offset in range(40)]
    assert ledger(database) == [(40,)]


async def _until_ledger(database: Database, offset: int, timeout_s: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while ledger(database) != [(offset,)]:
        assert asyncio.get_running_loop().time() < deadline, ledger(database)
        await asyncio.sleep(0.02)


async def test_records_are_written_without_a_flush_even_below_the_batch_size(
    database: Database,
) -> None:
    database.execute(APPLIED_LOG)
    task = await started(database, batch_size=1000)
    try:
        await task.put([record(0, 1, 0)])  # nothing in flight: written now, not at a flush
        await _until_ledger(database, 1)
        # Put while the write before them is in flight: they follow it on its own, with
        # no further put or flush (as a stream's last records do).
        await task.put([record(1, 2, 1)])
        await task.put([record(2, 3, 2), record(3, 1, 3)])
        await _until_ledger(database, 4)
    finally:
        await task.stop()
    assert database.query("SELECT id, visits FROM users ORDER BY id") == [
        (1, 3), (2, 1), (3, 2)]


async def test_a_refused_record_is_reported_before_pre_commit_returns(
    database: Database,
) -> None:
    database.execute(APPLIED_LOG)
    reporter = CollectingReporter()
    # Batches of three; user 10's name "u10" does not fit varchar(2) (offset 4, batch 2),
    # and batch 3 is put while batch 2 may still be in flight.
    users = [1, 2, 3, 4, 10, 5, 6, 7, 8, 9]
    records = [record(offset, user, offset) for offset, user in enumerate(users)]
    task = await started(database, batch_size=3, reporter=reporter)
    try:
        for start in range(0, len(records), 2):
            await task.put(records[start:start + 2])
        await task.pre_commit({TP: len(records)})
        # The worker forgets the consumed originals once pre_commit returns: the report
        # must have been made by then.
        assert [r.kafka_offset for r, _error in reporter.reported] == [4]
    finally:
        await task.stop()
    assert database.query("SELECT id FROM users ORDER BY id") == [
        (u,) for u in sorted(set(users) - {10})]
    assert ledger(database) == [(10,)]


async def test_a_failed_batch_fails_every_later_call_and_nothing_after_it_is_written(
    database: Database,
) -> None:
    database.execute(APPLIED_LOG)
    # Batches of two: the second holds user 10 ("u10" does not fit) and no reporter.
    users = [1, 2, 10, 3, 4, 5, 6, 7]
    records = [record(offset, user, offset) for offset, user in enumerate(users)]
    task = await started(database, batch_size=2)
    try:
        with pytest.raises(ConnectError, match="refused"):
            for start in range(0, len(records), 2):
                await task.put(records[start:start + 2])
            await task.pre_commit({TP: len(records)})
        with pytest.raises(ConnectError, match="refused"):
            await task.pre_commit({TP: len(records)})
        with pytest.raises(ConnectError, match="refused"):
            await task.put(records[-1:])
    finally:
        await task.stop()
    assert database.query("SELECT id FROM users ORDER BY id") == [(1,), (2,)]
    assert ledger(database) == [(2,)]


@pytest.mark.parametrize("yields", [0, 1, 3, 10, 30, 100])
async def test_a_stop_with_a_write_in_flight_loses_and_doubles_nothing(
    database: Database, yields: int,
) -> None:
    # Insert mode without a key: a row written twice would be a second row.
    extra = {"insert.mode": "insert", "pk.mode": "none", "auto.create": "true"}
    records = [record(offset, offset, offset) for offset in range(23)]
    first = await started(database, batch_size=5, extra=extra)
    try:
        await first.put(records)  # four batches: the last one is in flight on return
        for _ in range(yields):  # let the write in flight get to a different point
            await asyncio.sleep(0)
    finally:
        await first.stop()  # the worker's loop died: no pre_commit, no Kafka commit
    # The next owner gets everything again from the last committed consumer offset (none).
    second = await started(database, batch_size=5, extra=extra)
    try:
        await second.put(records)
        await second.pre_commit({TP: len(records)})
    finally:
        await second.stop()
    assert database.query("SELECT id FROM users ORDER BY id") == [(o,) for o in range(23)]
    assert ledger(database) == [(23,)]


async def test_redelivered_records_of_interleaved_partitions_are_dropped(
    database: Database,
) -> None:
    other = TopicPartition("users", 1)
    extra = {"insert.mode": "insert", "pk.mode": "none", "auto.create": "true"}

    def of(partition: int, offset: int) -> SinkRecord:
        row = record(offset, partition * 100 + offset, offset)
        return SinkRecord(topic="users", kafka_partition=partition, kafka_offset=offset,
                          key_schema=KEY, key=row.key, value_schema=VALUE, value=row.value)

    # Partition 0 written up to offset 5, partition 1 up to 3; then both come again,
    # interleaved in runs of every length, with more behind them.
    first = [of(0, o) for o in range(5)] + [of(1, o) for o in range(3)]
    again = [of(p, o) for o in range(8) for p in (0, 1)] + [of(1, 8), of(1, 9), of(0, 8)]
    for records in (first, again):
        task = PostgresSinkTask()
        await task.start(props(database, 4, **extra), SinkContext([TP, other]))
        try:
            await task.open([TP, other])
            await task.put(records)
            await task.pre_commit({TP: 9, other: 10})
        finally:
            await task.stop()
    ids = [int(str(i)) for (i,) in database.query("SELECT id FROM users ORDER BY id")]
    assert ids == [*range(0, 9), *range(100, 110)]
