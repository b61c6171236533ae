"""PostgresCdcSource throughput: row changes/s from PostgreSQL into a Kanal topic.

    python bench/connect_cdc.py [--rows N] [--batch B] [--json]

Starts PostgreSQL (wal_level=logical) and a dev cluster, starts the CDC task (snapshot.mode
never, so the slot exists first), commits N inserts in transactions of 1,000 rows, then
measures the path a worker runs: `poll` (peek the slot, parse pgoutput, build Debezium
events) -> JSON converter (key and value; `--schemas` for the {schema, payload}
envelope) -> producer `send` -> acknowledged -> `commit` (the slot advances).
Target: >= 20,000 changes/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from connect_pg import PostgresServer, create_topic, new_database, start_cluster
from kanal import AIOProducer
from kanal_connect.api import SourceOffset, SourcePartition
from kanal_connect.connectors.postgres.cdc.task import PostgresCdcTask
from kanal_connect.converters.json_converter import JsonConverter

TOPIC = "bench.public.events"


class NoOffsets:
    async def offset(self, partition: SourcePartition) -> SourceOffset | None:
        return None

    async def offsets(
        self, partitions: Sequence[SourcePartition]
    ) -> dict[tuple[tuple[str, object], ...], SourceOffset]:
        return {}


class Context:
    """A first start: no stored offsets."""

    @property
    def offset_storage_reader(self) -> NoOffsets:
        return NoOffsets()


async def measure(url: str, bootstrap: str, rows: int, batch: int,
                  schemas: bool) -> dict[str, float]:
    task = PostgresCdcTask()
    await task.start({"connection.url": url, "topic.prefix": "bench", "slot.name": "bench",
                      "snapshot.mode": "never", "max.batch.size": str(batch),
                      "poll.interval.ms": "10"}, Context())
    import psycopg

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        for start in range(0, rows, 1000):
            await conn.execute(
                "INSERT INTO events SELECT g, 'user' || (g %% 1000), 'click', g * 0.01, now() "
                "FROM generate_series(%s::bigint, %s::bigint) g",
                (start, min(rows, start + 1000) - 1),
            )
    keys, values = JsonConverter(), JsonConverter()
    enable = "true" if schemas else "false"
    keys.configure({"schemas.enable": enable}, is_key=True)
    values.configure({"schemas.enable": enable}, is_key=False)
    poll_s = 0.0
    async with AIOProducer(bootstrap_servers=bootstrap, linger_ms=5) as producer:
        started = time.perf_counter()
        done = 0
        while done < rows:
            mark = time.perf_counter()
            records = await task.poll()
            poll_s += time.perf_counter() - mark
            for record in records:
                await producer.send(
                    record.topic,
                    values.from_connect(record.topic, record.value_schema, record.value),
                    keys.from_connect(record.topic, record.key_schema, record.key),
                )
            await producer.flush()
            await task.commit()
            done += len(records)
        elapsed = time.perf_counter() - started
    await task.stop()
    return {"changes": float(done), "seconds": elapsed, "changes_per_sec": done / elapsed,
            "poll_changes_per_sec": done / poll_s, "poll_share": poll_s / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=5_000, help="max.batch.size")
    parser.add_argument("--schemas", action="store_true",
                        help="JSON converter with schemas.enable=true (Debezium's envelope)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    server = PostgresServer()
    server.start()
    try:
        database = new_database(server, "bench")
        database.execute("CREATE TABLE events (id bigint PRIMARY KEY, user_id text, "
                         "action text, amount numeric(12, 2), ts timestamp)")
        with tempfile.TemporaryDirectory(prefix="kanal-bench-") as tmp:
            cluster = start_cluster(Path(tmp) / "cluster")
            try:
                create_topic(cluster.bootstrap, TOPIC)
                result = asyncio.run(measure(database.url, cluster.bootstrap, args.rows,
                                             args.batch, args.schemas))
            finally:
                cluster.stop()
    finally:
        server.stop()
    if args.json:
        print(json.dumps(result))
    else:
        print(f"CDC: {result['changes']:.0f} row changes in {result['seconds']:.2f} s = "
              f"{result['changes_per_sec']:,.0f} changes/s into the topic (target >= 20,000); "
              f"the task's poll alone: {result['poll_changes_per_sec']:,.0f} changes/s "
              f"({result['poll_share']:.0%} of the time)")


if __name__ == "__main__":
    main()
