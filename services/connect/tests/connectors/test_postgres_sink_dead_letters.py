"""PostgresSink in a real worker with pipelined writes: a row PostgreSQL refuses in a batch
written while the worker already polls the next ones still reaches the dead letter queue as
its original bytes, and the ledger moves past it exactly once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kanal import Admin, Consumer, NewTopic, Producer
from kanal.client.records import ConsumerRecord
from kanal.devcluster.pytest_plugin import DevClusterFactory
from kanal.errors import InvalidReplicationFactor
from kanal.types import TopicPartition
from pg_server import Database
from worker_launcher import Worker, rest, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # a cluster and a worker

JSON = "org.apache.kafka.connect.json.JsonConverter"
COUNT = 200
REFUSED = 137  # its name, "too long", does not fit varchar(2)
KEY_SCHEMA = {"type": "struct", "name": "Key", "optional": False,
              "fields": [{"field": "id", "type": "int32", "optional": False}]}
VALUE_SCHEMA = {"type": "struct", "name": "Value", "optional": False, "fields": [
    {"field": "id", "type": "int32", "optional": False},
    {"field": "name", "type": "string", "optional": False},
]}


@pytest.fixture
def bootstrap(dev_cluster: DevClusterFactory) -> str:
    return dev_cluster(brokers=1).bootstrap


@pytest.fixture
def worker(bootstrap: str, tmp_path: Path) -> Iterator[Worker]:
    started = Worker(bootstrap, tmp_path / "worker.log")
    try:
        yield started
    finally:
        started.stop()


def value_of(offset: int) -> bytes:
    name = "too long" if offset == REFUSED else "ok"
    return json.dumps({"schema": VALUE_SCHEMA,
                       "payload": {"id": offset, "name": name}}).encode()


def produce(bootstrap: str) -> None:
    deadline = time.monotonic() + 20
    with Admin(bootstrap_servers=bootstrap) as admin:
        while True:  # a just-started controller may not place replicas yet
            try:
                admin.create_topics([NewTopic("users", 1, 1)])
                break
            except InvalidReplicationFactor:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    with Producer(bootstrap_servers=bootstrap, linger_ms=5) as producer:
        for offset in range(COUNT):
            key = json.dumps({"schema": KEY_SCHEMA, "payload": {"id": offset}}).encode()
            producer.send("users", value_of(offset), key)
        producer.flush()


def dead_letters(bootstrap: str) -> list[ConsumerRecord]:
    consumer = Consumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    try:
        consumer.assign([TopicPartition("users-dlq", 0)])
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + 30
        while not records and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        for batch in consumer.poll(timeout_ms=1000).values():  # nothing more may come
            records.extend(batch)
        return records
    finally:
        consumer.close()


def ledger(database: Database) -> int:
    try:
        rows = database.query("SELECT next_offset FROM __kanal_connect_offsets")
    except Exception:  # the task creates the ledger when it starts
        return 0
    return int(str(rows[0][0])) if rows else 0


def test_a_refused_row_reaches_the_dead_letter_queue_through_the_worker(
    database: Database, bootstrap: str, worker: Worker,
) -> None:
    database.execute("CREATE TABLE users (id int PRIMARY KEY, name varchar(2))")
    produce(bootstrap)
    worker.start()
    status, body = rest(worker.url + "/connectors", "POST", {"name": "users-sink", "config": {
        "connector.class": "PostgresSink", "topics": "users", "connection.url": database.url,
        "insert.mode": "upsert", "pk.mode": "record_key", "batch.size": "9",
        "key.converter": JSON, "value.converter": JSON, "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": "users-dlq",
        "errors.deadletterqueue.topic.replication.factor": "1",
    }})
    assert status == 201, body
    wait_for(lambda: ledger(database) == COUNT, "the ledger past every record")
    dead = dead_letters(bootstrap)
    assert [r.value for r in dead] == [value_of(REFUSED)]
    assert database.query("SELECT id FROM users ORDER BY id") == [
        (i,) for i in range(COUNT) if i != REFUSED]
    status, body = rest(worker.url + "/connectors/users-sink/status")
    assert status == 200 and isinstance(body, dict)
    assert body["tasks"][0]["state"] == "RUNNING", body
