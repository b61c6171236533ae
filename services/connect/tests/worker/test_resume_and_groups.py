"""State that outlives a worker: a restarted worker resumes from the stored offsets, and in a
two-worker cluster the tasks of a worker that stops move to the other."""

from __future__ import annotations

from pathlib import Path

from worker_process import WorkerProcess, wait_until

from conftest import WorkerFactory

STRING = "org.apache.kafka.connect.storage.StringConverter"


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_a_restarted_worker_resumes_from_stored_offsets(
    connect_worker: WorkerFactory, cluster_bootstrap: str, tmp_path: Path
) -> None:
    worker = connect_worker()
    counter = {"connector.class": "CounterSource", "topic": "numbers", "count": "30",
               "tasks.max": "1", "value.converter": STRING}
    out = tmp_path / "sink.txt"
    worker.send("POST", "/connectors", {"name": "counter", "config": counter})
    worker.send("POST", "/connectors", {"name": "collect", "config": {
        "connector.class": "FileSink", "topics": "numbers", "file": str(out),
        "value.converter": STRING}})
    wait_until(lambda: len(_lines(out)) >= 30, what="30 lines")
    assert worker.stop() == 0  # SIGTERM: tasks stopped, offsets flushed, group left

    again = WorkerProcess(cluster_bootstrap, tmp_path / "again.log",
                          extra=("--worker-id", "restarted")).start()
    try:
        assert sorted(again.get("/connectors").body) == ["collect", "counter"]  # type: ignore[arg-type]
        assert again.send("PUT", "/connectors/counter/config",
                          {**counter, "count": "45"}).status == 200
        wait_until(lambda: len(_lines(out)) >= 45, what="45 lines")
        # Neither the source (connect-offsets) nor the sink (its group's offsets) repeated
        # or skipped a record across the restart.
        assert _lines(out) == [f"0-{n}" for n in range(45)]
        status = again.get("/connectors/counter/status").json_object()
        assert status["connector"]["worker_id"] == "restarted"  # type: ignore[index]
    finally:
        again.stop()


def _owners(worker: WorkerProcess, name: str) -> list[object]:
    status = worker.get(f"/connectors/{name}/status").json_object()
    tasks = status["tasks"]
    assert isinstance(tasks, list)
    return [(t["state"], t["worker_id"]) for t in tasks]


def test_tasks_move_when_a_worker_stops(connect_worker: WorkerFactory) -> None:
    delay = ("--scheduled-rebalance-max-delay-ms", "1000")
    first = connect_worker(*delay)
    second = connect_worker(*delay)
    ids = {f"127.0.0.1:{first.port}", f"127.0.0.1:{second.port}"}
    # A write sent to either worker lands (the non-leader forwards it to the leader).
    created = second.send("POST", "/connectors", {"name": "counter", "config": {
        "connector.class": "CounterSource", "topic": "numbers", "count": "100",
        "tasks.max": "4", "value.converter": STRING}})
    assert created.status == 201, created.body

    def spread() -> bool:
        owners = _owners(first, "counter")
        return (len(owners) == 4 and all(s == "RUNNING" for s, _ in owners)  # type: ignore[misc]
                and {w for _, w in owners} == ids)  # type: ignore[misc]

    try:
        wait_until(spread, what="four tasks RUNNING on both workers")
        second.stop()
        survivor = f"127.0.0.1:{first.port}"
        wait_until(lambda: _owners(first, "counter") == [("RUNNING", survivor)] * 4,
                   what="every task RUNNING on the remaining worker")
    except AssertionError as failure:
        logs = "\n".join(
            "\n".join(line for line in w.log_path.read_text().splitlines()
                      if "kanal_connect" in line or "rror" in line)[-6000:]
            for w in (first, second))
        raise AssertionError(f"{failure}\n{logs}") from None
