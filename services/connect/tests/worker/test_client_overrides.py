"""A connector's `producer.override.*` / `consumer.override.*` / `admin.override.*`
settings (KIP-458): read into our clients' keywords, refused with a reason where the
worker's guarantees rest on a setting, reported per key by validate, and applied to the
task's clients (a real worker and broker)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal import Admin, NewTopic, Producer
from kanal_connect.errors import InvalidConnectorConfig
from kanal_connect.runtime.client_overrides import (
    ADMIN,
    CONSUMER,
    PRODUCER,
    client_settings,
    override_errors,
)
from worker_process import WorkerProcess

from conftest import WorkerFactory

STRING = "org.apache.kafka.connect.storage.StringConverter"


def test_kafka_names_and_texts_become_client_keywords() -> None:
    props = {
        "consumer.override.max.poll.records": "100",
        "consumer.override.auto.offset.reset": "latest",
        "consumer.override.isolation.level": "read_committed",
        "producer.override.linger.ms": " 50 ",
        "producer.override.acks": "1",
        "producer.override.enable.idempotence": "TRUE",
        "producer.override.compression.type": "gzip",
        "admin.override.request.timeout.ms": "5000",
        "topics": "t",
    }
    assert client_settings(props, CONSUMER) == {
        "max_poll_records": 100, "auto_offset_reset": "latest",
        "isolation_level": "read_committed"}
    assert client_settings(props, PRODUCER) == {
        "linger_ms": 50, "acks": "1", "enable_idempotence": True,
        "compression_type": "gzip"}
    assert client_settings(props, ADMIN) == {"request_timeout_ms": 5000}
    assert override_errors(props) == {}


def test_unknown_refused_and_malformed_settings_get_an_error_each() -> None:
    props = {
        "consumer.override.group.id": "other",
        "consumer.override.enable.auto.commit": "true",
        "producer.override.bootstrap.servers": "elsewhere:9092",
        "producer.override.value.serializer": "x",
        "producer.override.partitioner": "x",
        "producer.override.linger.ms": "soon",
        "producer.override.enable.idempotence": "yes",
        "admin.override.no.such.thing": "1",
    }
    errors = override_errors(props)
    assert set(errors) == set(props)
    assert "connect-<connector>" in errors["consumer.override.group.id"][0]
    assert errors["producer.override.linger.ms"] == [
        "Invalid value soon for configuration linger.ms"]
    assert errors["admin.override.no.such.thing"] == [
        "no.such.thing is not a setting of Kanal's admin client"]
    with pytest.raises(InvalidConnectorConfig) as refused:
        client_settings(props, PRODUCER)
    assert set(refused.value.field_errors) == {k for k in props if k.startswith(PRODUCER)}


_PREFIXES = st.sampled_from([PRODUCER, CONSUMER, ADMIN, "producer.", "override."])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.tuples(_PREFIXES, st.text(max_size=30)).map("".join),
                       st.text(max_size=20), max_size=6))
def test_any_config_is_read_or_refused_per_key(props: dict[str, str]) -> None:
    errors = override_errors(props)
    assert all(key.startswith((PRODUCER, CONSUMER, ADMIN)) for key in errors)
    for prefix in (PRODUCER, CONSUMER, ADMIN):
        ours = {k for k in props if k.startswith(prefix)}
        if ours & set(errors):
            with pytest.raises(InvalidConnectorConfig):
                client_settings(props, prefix)
        else:
            assert len(client_settings(props, prefix)) == len(ours)


def test_validate_and_create_refuse_bad_overrides(connect_worker: WorkerFactory,
                                                  tmp_path: Path) -> None:
    worker = connect_worker()
    config = {"connector.class": "FileStreamSink", "name": "out", "topics": "t",
              "file": str(tmp_path / "out"), "consumer.override.group.id": "mine",
              "consumer.override.max.poll.records": "many"}
    answer = worker.send("PUT", "/connector-plugins/FileStreamSink/config/validate", config)
    assert answer.status == 200, answer.body
    report = answer.json_object()
    assert report["error_count"] == 2
    named = {c["value"]["name"]: c["value"]["errors"]  # type: ignore[index]
             for c in report["configs"] if c["value"]["errors"]}  # type: ignore[union-attr,index]
    assert set(named) == {"consumer.override.group.id", "consumer.override.max.poll.records"}
    created = worker.send("POST", "/connectors", {"name": "out", "config": config})
    assert created.status == 400, created.body
    assert worker.get("/connectors").body == []


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_a_sink_consumer_override_reaches_the_task_consumer(
        connect_worker: WorkerFactory, cluster_bootstrap: str, tmp_path: Path) -> None:
    """auto.offset.reset=latest instead of the worker's earliest: the records already in
    the topic when the connector's group first joins are never delivered."""
    worker: WorkerProcess = connect_worker()
    out = tmp_path / "out"
    with Admin(bootstrap_servers=cluster_bootstrap) as admin:
        admin.create_topics([NewTopic("late-joiner", 1, 1)])
    with Producer(bootstrap_servers=cluster_bootstrap) as producer:
        for n in range(5):
            producer.send("late-joiner", b"early-%d" % n)
        producer.flush()
        config = {"connector.class": "FileStreamSink", "topics": "late-joiner",
                  "file": str(out), "value.converter": STRING,
                  "consumer.override.auto.offset.reset": "latest"}
        created = worker.send("POST", "/connectors", {"name": "late", "config": config})
        assert created.status == 201, created.body
        deadline = time.monotonic() + 60
        sent = 0
        while not _lines(out):  # until the task has joined, started at the end, and read
            assert time.monotonic() < deadline, "nothing delivered"
            producer.send("late-joiner", b"late-%d" % sent)
            producer.flush()
            sent += 1
            time.sleep(0.3)
    lines = _lines(out)
    assert lines and all(line.startswith("late-") for line in lines), lines
