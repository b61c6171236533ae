"""`PUT /connector-plugins/{plugin}/config/validate` answers per-field errors and starts
nothing; random request bodies never get anything but Kafka Connect's answers."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from worker_process import WorkerProcess, call

from conftest import WorkerFactory


def _errors(report: dict[str, object]) -> dict[str, list[str]]:
    configs = report["configs"]
    assert isinstance(configs, list)
    return {c["value"]["name"]: c["value"]["errors"] for c in configs if c["value"]["errors"]}


def _validate(worker: WorkerProcess, plugin: str, config: dict[str, str]) -> dict[str, object]:
    answer = worker.send("PUT", f"/connector-plugins/{plugin}/config/validate", config)
    assert answer.status == 200, answer.body
    return answer.json_object()


def test_validate_reports_every_bad_field(connect_worker: WorkerFactory) -> None:
    worker = connect_worker()
    good = _validate(worker, "CounterSource", {
        "connector.class": "CounterSource", "name": "c", "topic": "t", "tasks.max": "2"})
    assert good["error_count"] == 0 and good["name"] == "org.kanal.test.CounterSourceConnector"
    assert {"Common", "Transforms", "Predicates", "Error Handling"} <= set(good["groups"])  # type: ignore[arg-type]
    first = good["configs"][0]  # type: ignore[index]
    assert set(first) == {"definition", "value"}
    assert set(first["definition"]) == {  # type: ignore[index]
        "name", "type", "required", "default_value", "importance", "documentation", "group",
        "order", "width", "display_name", "dependents"}

    bad = _validate(worker, "CounterSource", {
        "connector.class": "CounterSource", "name": "c", "tasks.max": "many",
        "count": "-x", "errors.tolerance": "some", "transforms": "route",
        "transforms.route.type": "NoSuchTransform",
        "value.converter": "com.example.Missing"})
    errors = _errors(bad)
    assert set(errors) == {"tasks.max", "count", "errors.tolerance", "transforms.route.type",
                           "value.converter", "topic"}
    assert errors["tasks.max"] == [
        "Invalid value many for configuration tasks.max: Not a number of type INT"]
    assert bad["error_count"] == sum(len(v) for v in errors.values())

    sink = _errors(_validate(worker, "FileSink", {
        "connector.class": "FileSink", "name": "s", "file": "/tmp/x", "topics": "a",
        "topics.regex": "b.*"}))
    assert set(sink) == {"topics", "topics.regex"}
    missing = worker.send("PUT", "/connector-plugins/Nope/config/validate", {"a": "b"})
    assert missing.status == 404
    # Validation starts nothing, and a create with the same errors is refused whole.
    assert worker.get("/connectors").body == []
    refused = worker.send("POST", "/connectors", {"name": "c", "config": {
        "connector.class": "CounterSource", "tasks.max": "many", "topic": "t"}})
    assert refused.status == 400
    assert "tasks.max" in str(refused.json_object()["message"])
    assert worker.get("/connectors").body == []


JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=8))
JSON = st.recursive(JSON_LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8)
CONFIG_KEYS = st.sampled_from(["connector.class", "tasks.max", "topic", "topics", "name",
                               "count", "transforms", "errors.tolerance", "file"])
CONFIGS = st.dictionaries(CONFIG_KEYS, st.one_of(st.text(max_size=12), st.sampled_from(
    ["CounterSource", "FileSink", "1", "0", "all", "t"]), JSON), max_size=6)
BODIES = st.one_of(
    JSON,
    st.fixed_dictionaries({"name": st.one_of(st.text(max_size=10), JSON), "config": CONFIGS},
                          optional={"initial_state": st.sampled_from(
                              ["RUNNING", "PAUSED", "STOPPED", "nope", ""])}),
)


def test_random_bodies_get_kafka_connect_answers(connect_worker: WorkerFactory) -> None:
    worker = connect_worker()

    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=BODIES, config=CONFIGS)
    def check(body: object, config: dict[str, object]) -> None:
        created = call(worker.url + "/connectors", "POST", raw=json.dumps(body).encode())
        assert created.status in (201, 400, 409), created
        if created.status != 201:
            assert created.json_object()["error_code"] == created.status
        else:
            name = created.json_object()["name"]
            assert worker.send("DELETE", f"/connectors/{name}").status == 204
        validated = worker.send("PUT", "/connector-plugins/CounterSource/config/validate",
                                config)
        assert validated.status in (200, 400), validated
        if validated.status == 200:
            report = validated.json_object()
            assert report["error_count"] == sum(len(v) for v in _errors(report).values())

    check()
