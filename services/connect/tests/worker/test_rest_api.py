"""Every REST endpoint of one worker (a real process on a dev cluster), in Kafka Connect's
shapes."""

from __future__ import annotations

from pathlib import Path

from worker_process import WorkerProcess, call, wait_until

from conftest import WorkerFactory

STRING = "org.apache.kafka.connect.storage.StringConverter"


def _counter(count: int = 20, tasks: int = 2) -> dict[str, str]:
    return {"connector.class": "CounterSource", "topic": "numbers", "count": str(count),
            "tasks.max": str(tasks), "value.converter": STRING}


def _state(worker: WorkerProcess, name: str) -> tuple[object, list[object]]:
    status = worker.get(f"/connectors/{name}/status").json_object()
    connector = status["connector"]
    tasks = status["tasks"]
    assert isinstance(connector, dict) and isinstance(tasks, list)
    return connector["state"], [t["state"] for t in tasks]


def _wait_state(worker: WorkerProcess, name: str, connector: str, tasks: list[str]) -> None:
    wait_until(lambda: _state(worker, name) == (connector, tasks),
               what=f"{name} {connector} {tasks}")


def test_connector_life_cycle_endpoints(connect_worker: WorkerFactory) -> None:
    worker = connect_worker()
    root = worker.get("/").json_object()
    assert set(root) == {"version", "commit", "kafka_cluster_id"} and root["kafka_cluster_id"]

    plugins = worker.get("/connector-plugins")
    assert {"class": "org.kanal.test.CounterSourceConnector", "type": "source",
            "version": "1.0"} in plugins.body  # type: ignore[operator]
    everything = worker.get("/connector-plugins?connectorsOnly=false").body
    assert isinstance(everything, list)
    assert any(p["type"] == "transformation" for p in everything)
    definitions = worker.get("/connector-plugins/CounterSource/config").body
    assert isinstance(definitions, list) and any(d["name"] == "topic" for d in definitions)

    created = worker.send("POST", "/connectors", {"name": "counter", "config": _counter()})
    assert created.status == 201
    assert created.json_object()["config"] == {**_counter(), "name": "counter"}
    assert created.json_object()["type"] == "source"
    again = worker.send("POST", "/connectors", {"name": "counter", "config": _counter()})
    assert again.status == 409 and again.json_object() == {
        "error_code": 409, "message": "Connector counter already exists"}

    assert worker.get("/connectors").body == ["counter"]
    _wait_state(worker, "counter", "RUNNING", ["RUNNING", "RUNNING"])
    expanded = worker.get("/connectors?expand=status&expand=info").json_object()
    entry = expanded["counter"]
    assert isinstance(entry, dict) and set(entry) == {"status", "info"}
    info = worker.get("/connectors/counter").json_object()
    assert info["tasks"] == [{"connector": "counter", "task": 0},
                             {"connector": "counter", "task": 1}]
    assert worker.get("/connectors/counter/config").body == {**_counter(), "name": "counter"}
    tasks = worker.get("/connectors/counter/tasks").body
    assert isinstance(tasks, list) and tasks[1]["config"]["task.number"] == "1"
    task_status = worker.get("/connectors/counter/tasks/1/status").json_object()
    assert task_status["id"] == 1 and task_status["state"] == "RUNNING"
    assert task_status["worker_id"] == f"127.0.0.1:{worker.port}"
    missing_task = worker.get("/connectors/counter/tasks/7/status")
    assert missing_task.status == 404 and missing_task.json_object()["error_code"] == 404

    # Offsets: every record of both tasks is stored once the tasks are idle.
    def offsets() -> object:
        return worker.get("/connectors/counter/offsets").json_object()["offsets"]

    wait_until(lambda: sorted(str(o) for o in offsets()) == sorted(  # type: ignore[attr-defined]
        str({"partition": {"task": str(t)}, "offset": {"position": 19}}) for t in range(2)),
        what="stored offsets")
    assert worker.get("/connectors/counter/topics").body == {"counter": {"topics": ["numbers"]}}
    assert worker.send("PUT", "/connectors/counter/topics/reset").status == 202
    assert worker.get("/connectors/counter/topics").body == {"counter": {"topics": []}}

    assert worker.send("PUT", "/connectors/counter/pause").status == 202
    _wait_state(worker, "counter", "PAUSED", ["PAUSED", "PAUSED"])
    assert worker.send("PUT", "/connectors/counter/resume").status == 202
    _wait_state(worker, "counter", "RUNNING", ["RUNNING", "RUNNING"])

    refused = worker.send("PATCH", "/connectors/counter/offsets", {"offsets": []})
    assert refused.status == 400 and "STOPPED" in str(refused.json_object()["message"])
    assert worker.send("PUT", "/connectors/counter/stop").status == 204
    _wait_state(worker, "counter", "STOPPED", [])
    altered = worker.send("PATCH", "/connectors/counter/offsets", {"offsets": [
        {"partition": {"task": "0"}, "offset": {"position": 4}}]})
    assert altered.status == 200, altered.body
    assert {"partition": {"task": "0"}, "offset": {"position": 4}} in offsets()  # type: ignore[operator]
    assert worker.send("DELETE", "/connectors/counter/offsets").status == 200
    assert offsets() == []
    assert worker.send("PUT", "/connectors/counter/resume").status == 202
    _wait_state(worker, "counter", "RUNNING", ["RUNNING", "RUNNING"])

    updated = worker.send("PUT", "/connectors/counter/config", _counter(tasks=1))
    assert updated.status == 200
    _wait_state(worker, "counter", "RUNNING", ["RUNNING"])
    patched = worker.send("PATCH", "/connectors/counter/config", {"count": "5", "topic": None})
    assert patched.status == 400  # `topic` removed: the connector's own check refuses it
    patched = worker.send("PATCH", "/connectors/counter/config", {"count": "5"})
    assert patched.status == 200 and patched.json_object()["config"]["count"] == "5"  # type: ignore[index]
    fresh = worker.send("PUT", "/connectors/other/config", _counter(tasks=1))
    assert fresh.status == 201

    assert worker.send("POST", "/connectors/counter/restart").status == 204
    restarting = worker.send("POST", "/connectors/counter/restart?includeTasks=true")
    assert restarting.status == 202
    assert restarting.json_object()["connector"]["state"] == "RESTARTING"  # type: ignore[index]
    _wait_state(worker, "counter", "RUNNING", ["RUNNING"])
    assert worker.send("POST", "/connectors/counter/tasks/0/restart").status == 204
    _wait_state(worker, "counter", "RUNNING", ["RUNNING"])
    bad_flag = worker.send("POST", "/connectors/counter/restart?onlyFailed=maybe")
    assert bad_flag.status == 400

    assert worker.send("DELETE", "/connectors/counter").status == 204
    gone = worker.get("/connectors/counter")
    assert gone.status == 404 and gone.json_object() == {
        "error_code": 404, "message": "Connector counter not found"}
    assert worker.get("/connectors").body == ["other"]


def test_admin_loggers_and_error_shapes(connect_worker: WorkerFactory) -> None:
    worker = connect_worker()
    loggers = worker.get("/admin/loggers").json_object()
    assert loggers["root"] == {"level": "INFO"}
    changed = worker.send("PUT", "/admin/loggers/kanal_connect.worker", {"level": "DEBUG"})
    assert changed.status == 200 and "kanal_connect.worker" in changed.body  # type: ignore[operator]
    assert worker.get("/admin/loggers/kanal_connect.worker").body == {"level": "DEBUG"}
    assert worker.send("PUT", "/admin/loggers/x", {"level": "LOUD"}).status == 400
    assert worker.get("/admin/loggers/not.a.logger").status == 404

    unknown = worker.get("/no/such/path")
    assert unknown.status == 404 and unknown.json_object()["error_code"] == 404
    bad_json = call(worker.url + "/connectors", "POST", raw=b"{not json")
    assert bad_json.status == 400 and bad_json.json_object()["error_code"] == 400
    not_object = worker.send("POST", "/connectors", ["a"])
    assert not_object.status == 400


def test_a_failing_task_is_failed_with_its_trace(
    connect_worker: WorkerFactory, tmp_path: Path
) -> None:
    worker = connect_worker()
    worker.send("POST", "/connectors", {"name": "counter", "config": _counter(5, 1)})
    sink = worker.send("POST", "/connectors", {"name": "picky", "config": {
        "connector.class": "FileSink", "topics": "numbers", "file": str(tmp_path / "out"),
        "value.converter": STRING, "fail.on": "0-3"}})
    assert sink.status == 201
    _wait_state(worker, "picky", "RUNNING", ["FAILED"])
    task = worker.get("/connectors/picky/tasks/0/status").json_object()
    assert "refusing 0-3" in str(task["trace"])
    # The worker carries on: the other connector runs, the API answers.
    assert _state(worker, "counter") == ("RUNNING", ["RUNNING"])
    restart = worker.send("POST", "/connectors/picky/restart?includeTasks=true&onlyFailed=true")
    assert restart.status == 202
    assert restart.json_object()["tasks"][0]["state"] == "RESTARTING"  # type: ignore[index]
    _wait_state(worker, "picky", "RUNNING", ["FAILED"])


def test_sink_offsets_retries_and_seeks(connect_worker: WorkerFactory, tmp_path: Path) -> None:
    worker = connect_worker()
    worker.send("POST", "/connectors", {"name": "counter", "config": _counter(6, 1)})
    out = tmp_path / "out"
    sink = {"connector.class": "FileSink", "topics": "numbers", "file": str(out),
            "value.converter": STRING, "retry.on": "0-2"}
    worker.send("POST", "/connectors", {"name": "collect", "config": sink})

    def lines() -> list[str]:
        return out.read_text().splitlines() if out.exists() else []

    # `put` raised RetriableError on the batch holding 0-2: it was delivered again.
    wait_until(lambda: sorted(set(lines())) == [f"0-{n}" for n in range(6)], what="6 lines")
    committed = {"partition": {"kafka_topic": "numbers", "kafka_partition": 0},
                 "offset": {"kafka_offset": 6}}
    wait_until(lambda: worker.get("/connectors/collect/offsets").body == {
        "offsets": [committed]}, what="the sink's committed offset")
    assert worker.send("PUT", "/connectors/collect/stop").status == 204
    _wait_state(worker, "collect", "STOPPED", [])
    rewind = {"offsets": [{**committed, "offset": {"kafka_offset": 4}}]}
    answer = worker.send("PATCH", "/connectors/collect/offsets", rewind)
    assert answer.status == 200, answer.body
    assert worker.get("/connectors/collect/offsets").body == rewind
    out.unlink()
    assert worker.send("PUT", "/connectors/collect/resume").status == 202
    wait_until(lambda: lines() == ["0-4", "0-5"], what="redelivery from offset 4")
    # The task's own `context.offset(...)` wins over the committed position.
    assert worker.send("PUT", "/connectors/collect/config",
                       {**sink, "seek.to": "1", "name": "collect"}).status == 200
    wait_until(lambda: lines()[-5:] == [f"0-{n}" for n in range(1, 6)], what="seek to 1")
    assert worker.send("PUT", "/connectors/collect/stop").status == 204
    _wait_state(worker, "collect", "STOPPED", [])
    assert worker.send("DELETE", "/connectors/collect/offsets").status == 200
    assert worker.get("/connectors/collect/offsets").body == {"offsets": []}
