"""PostgresCdcSource throughput: row changes/s from PostgreSQL into a Kanal topic.

    python bench/connect_cdc.py [--rows N] [--batch B] [--schemas] [--mode worker|task]

Starts PostgreSQL (wal_level=logical) and a dev cluster.

`--mode worker` (the default, what the target is about): a connect worker process runs the
PostgresCdcSource (snapshot.mode never: its slot exists before the rows), then N inserts
are committed in transactions of 1,000 rows; measured from the first change in the topic to
the N-th (the topic's end offset): the slot read, pgoutput parsing, Debezium events, the
transforms, the JSON converter (`--schemas` for the {schema, payload} envelope), the
producer with acks=all, offsets stored and the slot confirmed every flush interval. The
worker's CPU per change comes from /proc.

`--mode task`: the task's `poll` -> converter -> producer -> `commit` driven in this
process, without the worker's loop.
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

from connect_pg import (
    Database,
    PostgresServer,
    create_connector,
    create_topic,
    measure_progress,
    new_database,
    profiled,
    start_cluster,
    start_worker,
)
from kanal import AIOProducer, Consumer, TopicPartition
from kanal_connect.api import SourceOffset, SourcePartition
from kanal_connect.connectors.postgres.cdc.task import PostgresCdcTask
from kanal_connect.converters.json_converter import JsonConverter

TOPIC = "bench.public.events"
JSON = "org.apache.kafka.connect.json.JsonConverter"


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


def cdc_config(url: str, batch: int) -> dict[str, str]:
    return {"connection.url": url, "topic.prefix": "bench", "slot.name": "bench",
            "snapshot.mode": "never", "max.batch.size": str(batch), "poll.interval.ms": "10"}


def insert_rows(database: Database, rows: int) -> None:
    for start in range(0, rows, 1000):
        database.execute(
            "INSERT INTO events SELECT g, 'user' || (g %% 1000), 'click', g * 0.01, now() "
            "FROM generate_series(%s::bigint, %s::bigint) g",
            (start, min(rows, start + 1000) - 1),
        )


async def measure_task(database: Database, bootstrap: str, rows: int, batch: int,
                       schemas: bool) -> dict[str, float]:
    task = PostgresCdcTask()
    await task.start(cdc_config(database.url, batch), Context())
    insert_rows(database, rows)
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


def wait_for_slot(database: Database, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not database.query("SELECT 1 FROM pg_replication_slots WHERE slot_name = 'bench'"):
        if time.monotonic() > deadline:
            raise TimeoutError("the connector did not create its slot")
        time.sleep(0.1)


def measure_worker(database: Database, bootstrap: str, log: Path, rows: int, batch: int, *,
                   schemas: bool, profile: str | None) -> dict[str, float]:
    worker = start_worker(bootstrap, log)
    try:
        converter = {"converter": JSON, "converter.schemas.enable": str(schemas).lower()}
        create_connector(worker, "bench", {
            "connector.class": "PostgresCdcSource", **cdc_config(database.url, batch),
            **{f"{side}.{k}": v for side in ("key", "value") for k, v in converter.items()}})
        wait_for_slot(database)
        insert_rows(database, rows)
        assert worker.process is not None
        tp = TopicPartition(TOPIC, 0)
        with Consumer(bootstrap_servers=bootstrap) as consumer, \
                profiled(worker.process.pid, profile):
            progress = measure_progress(worker.process.pid,
                                        lambda: consumer.end_offsets([tp])[tp], rows)
    finally:
        worker.stop()
    return progress.as_dict("changes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=5_000, help="max.batch.size")
    parser.add_argument("--schemas", action="store_true",
                        help="JSON converter with schemas.enable=true (Debezium's envelope)")
    parser.add_argument("--mode", choices=("worker", "task"), default="worker",
                        help="worker: through a connect worker process (the target); "
                             "task: the CDC task alone, in this process")
    parser.add_argument("--profile", metavar="PATH",
                        help="worker mode: py-spy's collapsed stacks of the worker into PATH")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    server = PostgresServer(durable=True)
    server.start()
    try:
        database = new_database(server, "bench")
        database.execute("CREATE TABLE events (id bigint PRIMARY KEY, user_id text, "
                         "action text, amount numeric(12, 2), ts timestamp)")
        with tempfile.TemporaryDirectory(prefix="kanal-bench-") as tmp:
            cluster = start_cluster(Path(tmp) / "cluster")
            try:
                create_topic(cluster.bootstrap, TOPIC)
                if args.mode == "task":
                    result = asyncio.run(measure_task(database, cluster.bootstrap, args.rows,
                                                      args.batch, args.schemas))
                else:
                    result = measure_worker(database, cluster.bootstrap,
                                            Path(tmp) / "worker.log", args.rows, args.batch,
                                            schemas=args.schemas, profile=args.profile)
            finally:
                cluster.stop()
    finally:
        server.stop()
    if args.json:
        print(json.dumps(result))
        return
    print(f"CDC ({args.mode}): {result['changes']:.0f} row changes in "
          f"{result['seconds']:.2f} s = {result['changes_per_sec']:,.0f} changes/s into the "
          f"topic (target >= 20,000)", end="")
    if args.mode == "task":
        print(f"; the task's poll alone: {result['poll_changes_per_sec']:,.0f} changes/s "
              f"({result['poll_share']:.0%} of the time)")
    else:
        print(f"; {result['worker_cpu_us_per_record']:.1f} us worker CPU per change")


if __name__ == "__main__":
    main()
