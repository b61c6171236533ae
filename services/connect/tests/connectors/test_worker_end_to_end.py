"""The bundled connectors in a real worker: PostgreSQL changes through the CDC source into
a topic (JSON with schemas), and from that topic through the sink into another table;
a kill -9 of the worker mid-stream loses no change."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from kanal.devcluster.pytest_plugin import DevClusterFactory
from pg_server import Database
from worker_launcher import Worker, rest, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # a cluster, a worker, ~1 min

JSON = "org.apache.kafka.connect.json.JsonConverter"


@pytest.fixture
def worker(dev_cluster: DevClusterFactory, tmp_path: Path) -> Iterator[Worker]:
    started = Worker(dev_cluster(brokers=1).bootstrap, tmp_path / "worker.log")
    try:
        yield started
    finally:
        started.stop()


def create(worker: Worker, name: str, config: dict[str, str]) -> None:
    status, body = rest(worker.url + "/connectors", "POST", {"name": name, "config": config})
    assert status == 201, body


def captured(database: Database) -> set[int]:
    """Ids whose insert reached the sink's table (through the topic)."""
    try:
        rows = database.query(
            "SELECT (after->>'id')::int FROM cdc_events WHERE op IN ('r', 'c')"
        )
    except Exception:  # the sink creates the table with its first batch
        return set()
    return {int(str(i)) for (i,) in rows}


def test_cdc_into_a_topic_and_the_sink_out_of_it(database: Database, worker: Worker) -> None:
    database.execute("CREATE TABLE items (id int PRIMARY KEY, label text)")
    database.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 20) g")
    worker.start()
    create(worker, "items-cdc", {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "connection.url": database.jdbc_url, "database.user": "postgres",
        "topic.prefix": "pg", "slot.name": "e2e_" + database.name,
        "poll.interval.ms": "100",
        "key.converter": JSON, "value.converter": JSON,
    })
    create(worker, "items-sink", {
        "connector.class": "PostgresSink", "topics": "pg.public.items",
        "connection.url": database.url, "table.name.format": "cdc_events",
        "insert.mode": "insert", "pk.mode": "kafka", "auto.create": "true",
        "key.converter": JSON, "value.converter": JSON,
    })
    wait_for(lambda: captured(database) >= set(range(1, 21)), "the snapshot in the sink")

    database.execute("INSERT INTO items SELECT g, 'new ' || g FROM generate_series(21, 40) g")
    wait_for(lambda: 30 in captured(database), "streaming to begin")
    worker.stop(signal.SIGKILL)  # mid-stream: some changes are polled, not yet stored
    database.execute("INSERT INTO items SELECT g, 'later ' || g FROM generate_series(41, 60) g")
    database.execute("UPDATE items SET label = 'changed' WHERE id = 1")
    worker.start()
    wait_for(lambda: captured(database) >= set(range(1, 61)), "every insert after the restart")
    wait_for(lambda: database.query("SELECT count(*) FROM cdc_events WHERE op = 'u'")[0][0],
             "the update")
    status, body = rest(worker.url + "/connectors/items-cdc/status")
    assert status == 200 and isinstance(body, dict)
    assert body["tasks"][0]["state"] == "RUNNING", body
