"""Fuzzed request bodies against a real registry: every one gets a 4xx answer in Confluent's
error shape, and none changes what the registry holds."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kanal_registry.compatibility import CompatibilityLevel
from kanal_registry.state.modes import Mode

from .registry_process import RegistryProcess

pytestmark = pytest.mark.integration

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=12,
)
# A "schema" that is not a string, or a string that cannot be any schema (it is not JSON and
# not a .proto file: a syntax statement cannot follow an unbalanced brace).
NOT_A_SCHEMA = JSON_VALUES.filter(lambda v: not isinstance(v, str)) | st.text(max_size=40).map(
    lambda t: "{" + t + ' syntax = "proto3"; }}')
SCHEMA_BODIES = st.fixed_dictionaries(
    {"schema": NOT_A_SCHEMA},
    optional={"schemaType": st.sampled_from(["AVRO", "JSON", "PROTOBUF", "XML"]) | JSON_VALUES,
              "references": JSON_VALUES, "id": JSON_VALUES, "version": JSON_VALUES},
)
LEVEL_NAMES = {level.value for level in CompatibilityLevel} | {mode.value for mode in Mode}
CONFIG_FIELDS = {"normalize", "alias", "compatibilityGroup", "defaultMetadata",
                 "overrideMetadata", "defaultRuleSet", "overrideRuleSet"}
SETTING_BODIES = JSON_VALUES.filter(
    lambda v: not (isinstance(v, dict) and (
        any(isinstance(x, str) and x.upper() in LEVEL_NAMES for x in v.values())
        or CONFIG_FIELDS & set(v))))


def _not_json(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except ValueError:
        return True
    return False


RAW_BODIES = st.binary(max_size=200).filter(_not_json)
TARGETS = [
    ("POST", "/subjects/fuzz/versions"),
    ("POST", "/subjects/fuzz"),
    ("POST", "/compatibility/subjects/fuzz/versions/latest"),
    ("PUT", "/config/fuzz"),
    ("PUT", "/mode/fuzz"),
    ("PUT", "/config"),
]


@pytest.fixture(scope="module")
def http(registry: RegistryProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=registry.url, timeout=30,
                      headers={"Content-Type": "application/vnd.schemaregistry.v1+json"}) as c:
        seed = {"schema": json.dumps({"type": "record", "name": "Seed",
                                      "fields": [{"name": "a", "type": "int"}]})}
        assert c.post("/subjects/fuzz/versions", json=seed).status_code == 200
        yield c


def snapshot(http: httpx.Client) -> object:
    subjects = http.get("/subjects", params={"deleted": "true"}).json()
    return {
        "subjects": subjects,
        "versions": {s: http.get(f"/subjects/{s}/versions", params={"deleted": "true"}).json()
                     for s in subjects},
        "config": http.get("/config").json(),
        "subject_config": http.get("/config/fuzz").json(),
        "mode": http.get("/mode").json(),
        "ids": http.get("/schemas/ids/2").json(),
    }


def assert_refused(answer: httpx.Response) -> None:
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text)
    body = answer.json()
    assert isinstance(body["error_code"], int) and isinstance(body["message"], str)


_FUZZ = settings(max_examples=40, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@_FUZZ
@given(body=SCHEMA_BODIES, target=st.sampled_from(TARGETS[:3]))
def test_schema_bodies_of_the_wrong_shape_are_refused(
        http: httpx.Client, body: dict[str, object], target: tuple[str, str]) -> None:
    before = snapshot(http)
    assert_refused(http.request(target[0], target[1], content=json.dumps(body)))
    assert snapshot(http) == before


@_FUZZ
@given(body=SETTING_BODIES, target=st.sampled_from(TARGETS[3:]))
def test_config_and_mode_bodies_of_the_wrong_shape_are_refused(
        http: httpx.Client, body: object, target: tuple[str, str]) -> None:
    before = snapshot(http)
    assert_refused(http.request(target[0], target[1], content=json.dumps(body)))
    assert snapshot(http) == before


@_FUZZ
@given(raw=RAW_BODIES, target=st.sampled_from(TARGETS))
def test_bodies_that_are_not_json_are_refused(
        http: httpx.Client, raw: bytes, target: tuple[str, str]) -> None:
    before = snapshot(http)
    answer = http.request(target[0], target[1], content=raw)
    assert_refused(answer)
    assert answer.json()["error_code"] == 400
    assert snapshot(http) == before


def test_huge_and_deeply_nested_schemas_are_refused(http: httpx.Client) -> None:
    before = snapshot(http)
    nested = {"schema": "[" * 100_000 + "]" * 100_000}
    assert http.post("/subjects/fuzz/versions", json=nested).json()["error_code"] == 42201
    too_big = b'{"schema": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    assert http.post("/subjects/fuzz/versions", content=too_big).status_code == 413
    assert http.post("/subjects/fuzz/versions", content=b"{}",
                     headers={"Content-Type": "text/plain"}).status_code == 415
    assert http.get("/subjects", headers={"Accept": "text/html"}).status_code == 406
    for accepted in ("application/vnd.schemaregistry+json", "application/json; q=0.9", "*/*"):
        assert http.get("/subjects", headers={"Accept": accepted}).status_code == 200
    assert snapshot(http) == before


def test_paths_and_versions_that_do_not_exist_get_confluents_codes(http: httpx.Client) -> None:
    assert http.get("/subjects/fuzz/versions/0").json()["error_code"] == 42202
    assert http.get("/subjects/fuzz/versions/abc").json()["error_code"] == 42202
    assert http.get("/subjects/fuzz/versions/99").json()["error_code"] == 40402
    assert http.get("/subjects/nobody/versions").json()["error_code"] == 40401
    assert http.get("/schemas/ids/999999").json()["error_code"] == 40403
    assert http.get("/nowhere").json()["error_code"] == 404
    assert http.delete("/subjects/fuzz", params={"permanent": "TRUE"}).json()[
        "error_code"] == 40405
