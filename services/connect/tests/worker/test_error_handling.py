"""errors.tolerance=all with a dead letter queue: records a converter refuses go to the DLQ
with Kafka's `__connect.errors.*` headers, and the task keeps running."""

from __future__ import annotations

import time
from pathlib import Path

from kanal import Consumer, TopicPartition
from kanal.client.records import ConsumerRecord
from worker_process import wait_until

from conftest import WorkerFactory

STRING = "org.apache.kafka.connect.storage.StringConverter"


def _read_all(bootstrap: str, topic: str, wanted: int) -> list[ConsumerRecord]:
    consumer = Consumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    try:
        consumer.assign([TopicPartition(topic, 0)])
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + 60
        while len(records) < wanted and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


def test_bad_records_go_to_the_dead_letter_queue(
    connect_worker: WorkerFactory, cluster_bootstrap: str, tmp_path: Path
) -> None:
    worker = connect_worker()
    worker.send("POST", "/connectors", {"name": "counter", "config": {
        "connector.class": "CounterSource", "topic": "words", "count": "5", "tasks.max": "1",
        "value.converter": STRING}})
    out = tmp_path / "out"
    created = worker.send("POST", "/connectors", {"name": "json-sink", "config": {
        "connector.class": "FileSink", "topics": "words", "file": str(out),
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false", "errors.tolerance": "all",
        "errors.log.enable": "true", "errors.deadletterqueue.topic.name": "dlq",
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true"}})
    assert created.status == 201, created.body
    dead = _read_all(cluster_bootstrap, "dlq", 5)
    assert sorted(r.value for r in dead) == [f"0-{n}".encode() for n in range(5)]
    headers = dict(dead[0].headers)
    assert headers["__connect.errors.topic"] == b"words"
    assert headers["__connect.errors.stage"] == b"VALUE_CONVERTER"
    assert headers["__connect.errors.connector.name"] == b"json-sink"
    assert headers["__connect.errors.task.id"] == b"0"
    assert b"DataException" in headers["__connect.errors.exception.class.name"]
    assert "__connect.errors.exception.stacktrace" in headers
    status = worker.get("/connectors/json-sink/status").json_object()
    assert status["tasks"][0]["state"] == "RUNNING"  # type: ignore[index]
    assert not out.exists() or out.read_text() == ""


def test_without_tolerance_a_bad_record_fails_the_task(connect_worker: WorkerFactory,
                                                       tmp_path: Path) -> None:
    worker = connect_worker()
    worker.send("POST", "/connectors", {"name": "counter", "config": {
        "connector.class": "CounterSource", "topic": "words", "count": "3", "tasks.max": "1",
        "value.converter": STRING}})
    worker.send("POST", "/connectors", {"name": "strict", "config": {
        "connector.class": "FileSink", "topics": "words", "file": str(tmp_path / "out"),
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false"}})

    def task_state() -> object:
        tasks = worker.get("/connectors/strict/status").json_object()["tasks"]
        return tasks[0] if tasks else None  # type: ignore[index]

    wait_until(lambda: (task_state() or {}).get("state") == "FAILED",  # type: ignore[attr-defined]
               what="the strict sink's task FAILED")
    assert "DataException" in task_state()["trace"]  # type: ignore[index]


def test_a_record_refused_at_a_later_flush_still_reaches_the_dead_letter_queue(
    connect_worker: WorkerFactory, cluster_bootstrap: str, tmp_path: Path
) -> None:
    # The sink holds "0-3" past its put (polls come and go) and refuses it when the worker
    # commits, as a sink that buffers across puts does.
    worker = connect_worker()
    worker.send("POST", "/connectors", {"name": "counter", "config": {
        "connector.class": "CounterSource", "topic": "late", "count": "30", "tasks.max": "1",
        "value.converter": STRING}})
    out = tmp_path / "out"
    created = worker.send("POST", "/connectors", {"name": "late-sink", "config": {
        "connector.class": "FileSink", "topics": "late", "file": str(out),
        "value.converter": STRING, "report.on": "0-3", "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": "late-dlq",
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true"}})
    assert created.status == 201, created.body
    dead = _read_all(cluster_bootstrap, "late-dlq", 1)
    assert [r.value for r in dead] == [b"0-3"]
    assert dict(dead[0].headers)["__connect.errors.stage"] == b"TASK_PUT"
    wait_until(lambda: out.exists() and len(out.read_text().splitlines()) == 29,
               what="the other 29 values in the file")
    assert "0-3" not in out.read_text().splitlines()
