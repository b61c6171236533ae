"""End to end in a real worker: DatagenSource writes Avro through the registry into a topic,
FileStreamSink reads the records back through the AvroConverter, skipping (errors.tolerance)
a record that is not Avro."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from kanal import Producer
from kanal.devcluster.pytest_plugin import DevClusterFactory
from kanal.serde import SchemaRegistryClient
from worker_process import WorkerProcess, wait_until

pytestmark = pytest.mark.integration

AVRO = "io.confluent.connect.avro.AvroConverter"
EVENT = re.compile(r"Struct\{user_id='\d+',action='[a-z_]+',timestamp=\d+\}")


def test_datagen_to_file_through_avro(dev_cluster: DevClusterFactory, tmp_path: Path) -> None:
    cluster = dev_cluster(brokers=1, registries=1)
    registry = cluster.registry_url
    worker = WorkerProcess(cluster.bootstrap, tmp_path / "worker.log",
                           extra=("--schema-registry-url", registry)).start()
    try:
        avro = {"value.converter": AVRO, "value.converter.schema.registry.url": registry,
                "key.converter": "StringConverter"}
        source = worker.send("POST", "/connectors", {"name": "events", "config": {
            "connector.class": "DatagenSource", "kafka.topic": "user-events",
            "iterations": "30", "max.interval": "0", "random.seed": "7", **avro}})
        assert source.status == 201, source.body
        with SchemaRegistryClient(registry) as client:
            wait_until(lambda: "user-events-value" in client.get_subjects(),
                       what="the source's first schema")
        with Producer(bootstrap_servers=cluster.bootstrap) as producer:
            producer.send("user-events", b"not avro", b"k").get(timeout=30)
        out = tmp_path / "events.txt"
        # No schema.registry.url of its own: the worker's --schema-registry-url is used.
        sink = worker.send("POST", "/connectors", {"name": "file", "config": {
            "connector.class": "FileStreamSink", "topics": "user-events", "file": str(out),
            "errors.tolerance": "all", "value.converter": AVRO,
            "key.converter": "StringConverter"}})
        assert sink.status == 201, sink.body

        def lines() -> list[str]:
            return out.read_text().splitlines() if out.exists() else []

        wait_until(lambda: len(lines()) >= 30, what="30 events in the sink file")
        assert len(lines()) == 30 and all(EVENT.fullmatch(line) for line in lines()), lines()
        with SchemaRegistryClient(registry) as client:
            written = client.get_latest_version("user-events-value")
        avro_schema = json.loads(written.schema.schema_str)
        assert avro_schema["name"] == "ksql.user_events"
        assert [f["name"] for f in avro_schema["fields"]] == ["user_id", "action", "timestamp"]
        for name in ("events", "file"):
            tasks = worker.get(f"/connectors/{name}/status").json_object()["tasks"]
            assert isinstance(tasks, list) and tasks, tasks
            assert all(task["state"] == "RUNNING" for task in tasks), tasks
    finally:
        assert worker.stop() == 0
