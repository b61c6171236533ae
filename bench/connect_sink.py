"""PostgresSink throughput: upserts/s into PostgreSQL with batching.

    python bench/connect_sink.py [--records N] [--keys K] [--batch B] [--mode worker|task]

`--mode worker` (the default, what the target is about): a dev cluster, N JSON records
({schema, payload}, struct keys over K distinct ids, so most are updates of existing rows)
produced into `events` first, then a connect worker process runs the PostgresSink in upsert
mode; measured from the first batch in the table to the offsets ledger reaching N, i.e. the
whole path: consumer fetch -> JSON converter -> transforms -> `put` -> COPY into a staging
table + INSERT .. ON CONFLICT DO UPDATE + the ledger row, one transaction per batch of at
most `batch.size`, into a PostgreSQL with its durability defaults (fsync, synchronous
commit). The worker's CPU per record comes from /proc, and so does PostgreSQL's (its server
processes alive through the run: the sink's backend, the WAL writer, the checkpointer; the
two sides can overlap on two cores, so the slower one bounds the rate).

`--mode task`: the sink task alone, driven in this process with ready-made records (no
broker, no converter): the connector's share.
Target: >= 30,000 upserts/s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import psycopg
from connect_pg import (
    Database,
    PostgresServer,
    create_connector,
    create_topic,
    measure_progress,
    new_database,
    process_cpu_s,
    profiled,
    start_cluster,
    start_worker,
)
from kanal import Producer
from kanal.types import TopicPartition
from kanal_connect.api import ErrantRecordReporter
from kanal_connect.connectors.postgres.sink.task import PostgresSinkTask
from kanal_connect.data.record import SinkRecord
from kanal_connect.data.schema import FLOAT64, INT64, STRING, struct
from kanal_connect.data.structs import Struct

KEY = struct([("id", INT64)], name="Key")
VALUE = struct([("id", INT64), ("user_id", STRING), ("action", STRING), ("amount", FLOAT64)],
               name="Value")
TP = TopicPartition("events", 0)
JSON = "org.apache.kafka.connect.json.JsonConverter"
KEY_SCHEMA = {"type": "struct", "name": "Key", "optional": False,
              "fields": [{"field": "id", "type": "int64", "optional": False}]}
VALUE_SCHEMA = {"type": "struct", "name": "Value", "optional": False, "fields": [
    {"field": "id", "type": "int64", "optional": False},
    {"field": "user_id", "type": "string", "optional": False},
    {"field": "action", "type": "string", "optional": False},
    {"field": "amount", "type": "double", "optional": False},
]}


class Context:
    """The sink task's view of the worker: one partition, nothing to seek or report."""

    def offset(self, offsets: Mapping[TopicPartition, int]) -> None:
        pass

    def assignment(self) -> frozenset[TopicPartition]:
        return frozenset({TP})

    def pause(self, *partitions: TopicPartition) -> None:
        pass

    def resume(self, *partitions: TopicPartition) -> None:
        pass

    def request_commit(self) -> None:
        pass

    @property
    def errant_record_reporter(self) -> ErrantRecordReporter | None:
        return None


def records(count: int, keys: int) -> list[SinkRecord]:
    out = []
    for offset in range(count):
        ident = offset % keys
        key = Struct(KEY).put("id", ident)
        value = (Struct(VALUE).put("id", ident).put("user_id", f"user{ident % 1000}")
                 .put("action", "click").put("amount", offset * 0.5))
        out.append(SinkRecord(topic="events", kafka_partition=0, kafka_offset=offset,
                              key_schema=KEY, key=key, value_schema=VALUE, value=value))
    return out


def sink_config(url: str, batch: int) -> dict[str, str]:
    return {"connection.url": url, "topics": "events", "insert.mode": "upsert",
            "pk.mode": "record_key", "auto.create": "true", "batch.size": str(batch)}


async def measure_task(url: str, count: int, keys: int, batch: int) -> dict[str, float]:
    task = PostgresSinkTask()
    await task.start({"name": "bench", **sink_config(url, batch)}, Context())
    await task.open([TP])
    data = records(count, keys)
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, count, 500):
        await task.put(data[start:start + 500])
    await task.pre_commit({TP: count})
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await task.stop()
    return {"upserts": float(count), "seconds": elapsed, "upserts_per_sec": count / elapsed,
            "task_cpu_us_per_record": cpu / count * 1e6}


def produce(bootstrap: str, count: int, keys: int) -> None:
    with Producer(bootstrap_servers=bootstrap, linger_ms=20) as producer:
        for offset in range(count):
            ident = offset % keys
            key = {"schema": KEY_SCHEMA, "payload": {"id": ident}}
            value = {"schema": VALUE_SCHEMA, "payload": {
                "id": ident, "user_id": f"user{ident % 1000}", "action": "click",
                "amount": offset * 0.5}}
            producer.send("events", json.dumps(value).encode(), json.dumps(key).encode())
        producer.flush()


class Ledger:
    """Polls the sink's offsets ledger over one connection (a connection per poll would
    fork a PostgreSQL backend 20 times a second, CPU taken from the run being measured),
    and the CPU of PostgreSQL's server processes from the first progress on."""

    def __init__(self, conn: psycopg.Connection[tuple[object, ...]]) -> None:
        self._conn = conn
        self._postmaster = _parent_pid(int(str(conn.execute(
            "SELECT pg_backend_pid()").fetchall()[0][0])))
        self._cpu_at_first: dict[int, float] | None = None

    def next_offset(self) -> int:
        try:
            rows = self._conn.execute("SELECT next_offset FROM __kanal_connect_offsets "
                                      "WHERE connector = 'bench'").fetchall()
        except psycopg.errors.UndefinedTable:  # the task creates it when it starts
            return 0
        done = int(str(rows[0][0])) if rows else 0
        if done and self._cpu_at_first is None:
            self._cpu_at_first = self._server_cpu()
        return done

    def server_cpu_since_first_s(self) -> float:
        before, now = self._cpu_at_first or {}, self._server_cpu()
        return sum(now[pid] - before[pid] for pid in now.keys() & before.keys())

    def _server_cpu(self) -> dict[int, float]:
        children = Path(f"/proc/{self._postmaster}/task/{self._postmaster}/children")
        cpu = {}
        for pid in map(int, children.read_text().split()):
            with contextlib.suppress(FileNotFoundError):  # a backend that just left
                cpu[pid] = process_cpu_s(pid)
        return cpu


def _parent_pid(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def measure_worker(database: Database, count: int, keys: int, batch: int,
                   profile: str | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="kanal-bench-") as tmp:
        cluster = start_cluster(Path(tmp) / "cluster")
        try:
            create_topic(cluster.bootstrap, "events")
            produce(cluster.bootstrap, count, keys)
            worker = start_worker(cluster.bootstrap, Path(tmp) / "worker.log")
            try:
                create_connector(worker, "bench", {
                    "connector.class": "PostgresSink", **sink_config(database.url, batch),
                    "key.converter": JSON, "value.converter": JSON})
                assert worker.process is not None
                with (psycopg.connect(database.server.conninfo(database.name),
                                      autocommit=True) as conn,
                      profiled(worker.process.pid, profile)):
                    ledger = Ledger(conn)
                    progress = measure_progress(worker.process.pid, ledger.next_offset,
                                                count)
                    postgres_cpu_s = ledger.server_cpu_since_first_s()
            finally:
                worker.stop()
        finally:
            cluster.stop()
    return {**progress.as_dict("upserts"),
            "postgres_cpu_us_per_record": postgres_cpu_s / progress.records * 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--keys", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=3_000, help="batch.size")
    parser.add_argument("--mode", choices=("worker", "task"), default="worker",
                        help="worker: through a connect worker process (the target); "
                             "task: the sink task alone, in this process")
    parser.add_argument("--profile", metavar="PATH",
                        help="worker mode: py-spy's collapsed stacks of the worker into PATH")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    server = PostgresServer(durable=True)
    server.start()
    try:
        database = new_database(server, "bench")
        if args.mode == "task":
            result = asyncio.run(measure_task(database.url, args.records, args.keys,
                                              args.batch))
        else:
            result = measure_worker(database, args.records, args.keys, args.batch,
                                    args.profile)
        rows = database.query("SELECT count(*) FROM events")[0][0]
    finally:
        server.stop()
    result["rows"] = float(str(rows))
    if args.json:
        print(json.dumps(result))
        return
    cpu = result.get("worker_cpu_us_per_record", result.get("task_cpu_us_per_record"))
    postgres = result.get("postgres_cpu_us_per_record")
    print(f"sink ({args.mode}): {result['upserts']:.0f} upserts in {result['seconds']:.2f} s = "
          f"{result['upserts_per_sec']:,.0f} upserts/s (target >= 30,000); "
          f"{cpu:.1f} us CPU per record"
          + (f" (PostgreSQL: {postgres:.1f} us)" if postgres is not None else "")
          + f"; {result['rows']:.0f} rows in the table")


if __name__ == "__main__":
    main()
