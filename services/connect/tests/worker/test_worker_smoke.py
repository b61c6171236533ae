"""A worker process on a dev cluster: a source into a topic, a sink out of it."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from worker_process import wait_until

from conftest import WorkerFactory


def test_source_to_sink(connect_worker: WorkerFactory, tmp_path: Path) -> None:
    worker = connect_worker()
    assert worker.get("/").status == 200
    created = worker.send("POST", "/connectors", {
        "name": "counter",
        "config": {"connector.class": "CounterSource", "topic": "numbers", "count": "25",
                   "tasks.max": "2", "value.converter":
                   "org.apache.kafka.connect.storage.StringConverter"},
    })
    assert created.status == 201, created.body
    out = tmp_path / "sink.txt"
    sink = worker.send("POST", "/connectors", {
        "name": "collect",
        "config": {"connector.class": "FileSink", "topics": "numbers", "file": str(out),
                   "value.converter": "org.apache.kafka.connect.storage.StringConverter"},
    })
    assert sink.status == 201, sink.body

    def lines() -> int:
        return len(out.read_text().splitlines()) if out.exists() else 0

    wait_until(lambda: lines() >= 50, what="50 lines in the sink file")
    expected = {f"{t}-{n}" for t in range(2) for n in range(25)}
    assert set(out.read_text().splitlines()) == expected
    status = worker.get("/connectors/counter/status").json_object()
    assert status["connector"] == {"state": "RUNNING", "worker_id": f"127.0.0.1:{worker.port}"}

    with urllib.request.urlopen(f"http://127.0.0.1:{worker.metrics_port}/metrics") as page:
        metrics = page.read().decode()
    assert 'kanal_connect_source_record_poll_total{connector="counter",task="0"} 25.0' in metrics
    assert 'kanal_connect_sink_record_send_total{connector="collect",task="0"} 50.0' in metrics
    assert "kanal_connect_worker_task_count 3.0" in metrics
    assert "kanal_connect_offset_commit_lag_records" in metrics
    for histogram in ("source_poll_batch_seconds", "sink_put_batch_seconds"):
        count = next(line for line in metrics.splitlines() if line.startswith(
            f"kanal_connect_{histogram}_count"))
        assert float(count.rsplit(" ", 1)[1]) > 0, count
    assert worker.stop() == 0  # SIGTERM: a clean exit
