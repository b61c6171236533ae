"""PostgresSink throughput: upserts/s into PostgreSQL with batching.

    python bench/connect_sink.py [--records N] [--keys K] [--batch B] [--json]

Starts PostgreSQL and drives the sink task as the worker would: `open`, then `put` of
consumer-sized chunks (500 records) of struct records keyed over K distinct keys (so most
are updates of existing rows), `pre_commit` at the end. Each `batch.size` slice is one
transaction: COPY into a staging table, INSERT .. ON CONFLICT DO UPDATE, and the offsets
ledger row. Target: >= 30,000 upserts/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Mapping

from connect_pg import PostgresServer, new_database
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


async def measure(url: str, count: int, keys: int, batch: int) -> dict[str, float]:
    task = PostgresSinkTask()
    await task.start({"name": "bench", "connection.url": url, "topics": "events",
                      "insert.mode": "upsert", "pk.mode": "record_key", "auto.create": "true",
                      "batch.size": str(batch)}, Context())
    await task.open([TP])
    data = records(count, keys)
    started = time.perf_counter()
    for start in range(0, count, 500):
        await task.put(data[start:start + 500])
    await task.pre_commit({TP: count})
    elapsed = time.perf_counter() - started
    await task.stop()
    return {"upserts": float(count), "seconds": elapsed, "upserts_per_sec": count / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--keys", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=3_000, help="batch.size")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    server = PostgresServer()
    server.start()
    try:
        database = new_database(server, "bench")
        result = asyncio.run(measure(database.url, args.records, args.keys, args.batch))
        rows = database.query("SELECT count(*) FROM events")[0][0]
    finally:
        server.stop()
    result["rows"] = float(str(rows))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"sink: {result['upserts']:.0f} upserts in {result['seconds']:.2f} s = "
              f"{result['upserts_per_sec']:,.0f} upserts/s (target >= 30,000); "
              f"{result['rows']:.0f} rows in the table")


if __name__ == "__main__":
    main()
