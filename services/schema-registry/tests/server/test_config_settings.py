"""Confluent's whole `/config` object over REST: `normalize` (global and per subject) applied on
register and lookup as if `?normalize=true` were sent, partial PUTs, `defaultToGlobal` field by
field, the fields data-contract clients send (group, metadata, rule sets) stored and answered,
bad values refused with Confluent's codes, and a config PUT forwarded by a second instance."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from confluent_kafka.schema_registry import (
    Metadata,
    MetadataProperties,
    MetadataTags,
    Rule,
    RuleKind,
    RuleMode,
    RuleSet,
    SchemaRegistryClient,
    ServerConfig,
)
from kanal.devcluster.cluster import DevCluster

from .registry_process import RegistryProcess

pytestmark = pytest.mark.integration

SCHEMA = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}
# The same schema with its attributes in another order: equal only once normalized.
REORDERED = '{"fields": [{"type": "int", "name": "a"}], "name": "R", "type": "record"}'


@pytest.fixture
def http(registry: RegistryProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=registry.url, timeout=30) as client:
        yield client


def register(http: httpx.Client, subject: str, text: str) -> httpx.Response:
    return http.post(f"/subjects/{subject}/versions", json={"schema": text})


def lookup(http: httpx.Client, subject: str, text: str) -> httpx.Response:
    return http.post(f"/subjects/{subject}", json={"schema": text})


def test_a_subjects_normalize_setting_applies_to_register_and_lookup(http: httpx.Client) -> None:
    first = register(http, "norm-s", json.dumps(SCHEMA)).json()
    assert lookup(http, "norm-s", REORDERED).json()["error_code"] == 40403

    assert http.put("/config/norm-s", json={"normalize": True}).json() == {"normalize": True}
    assert http.get("/config/norm-s").json() == {"normalize": True}
    assert http.get("/config/norm-s", params={"defaultToGlobal": "TRUE"}).json() == {
        "normalize": True, "compatibilityLevel": "BACKWARD"}
    assert lookup(http, "norm-s", REORDERED).json()["version"] == 1
    again = register(http, "norm-s", REORDERED).json()
    assert again == {"id": first["id"], "version": 1}
    assert http.get("/subjects/norm-s/versions").json() == [1]

    # A PUT changes the fields it names and keeps the others.
    assert http.put("/config/norm-s", json={"compatibility": "full"}).json() == {
        "compatibility": "FULL"}
    assert http.get("/config/norm-s").json() == {"normalize": True, "compatibilityLevel": "FULL"}
    assert http.delete("/config/norm-s").json() == {"normalize": True,
                                                     "compatibilityLevel": "FULL"}
    assert http.get("/config/norm-s").json()["error_code"] == 40408
    assert lookup(http, "norm-s", REORDERED).json()["error_code"] == 40403


def test_the_global_normalize_setting_applies_where_a_subject_sets_none(
        http: httpx.Client) -> None:
    register(http, "norm-g1", json.dumps(SCHEMA))
    register(http, "norm-g2", json.dumps(SCHEMA))
    http.put("/config/norm-g2", json={"normalize": False})
    try:
        assert http.put("/config", json={"normalize": True}).status_code == 200
        assert http.get("/config").json() == {"normalize": True, "compatibilityLevel": "BACKWARD"}
        assert lookup(http, "norm-g1", REORDERED).json()["version"] == 1
        assert lookup(http, "norm-g2", REORDERED).json()["error_code"] == 40403
        assert http.get("/config/norm-g1", params={"defaultToGlobal": "true"}).json()[
            "normalize"] is True
    finally:
        assert http.delete("/config").status_code == 200
    assert http.get("/config").json() == {"compatibilityLevel": "BACKWARD"}
    assert lookup(http, "norm-g1", REORDERED).json()["error_code"] == 40403


def test_data_contract_fields_are_stored_and_answered(registry: RegistryProcess) -> None:
    client = SchemaRegistryClient({"url": registry.url})
    try:
        rule = Rule(name="checkAge", doc=None, kind=RuleKind.CONDITION, mode=RuleMode.WRITE,
                    type="CEL", tags=None, params=None, expr="message.age > 0",
                    on_success=None, on_failure="DLQ", disabled=None)
        config = ServerConfig(
            compatibility=None, compatibility_level=None, compatibility_group="app.version",
            default_metadata=Metadata(MetadataTags({"PII": ["$.name"]}),
                                      MetadataProperties({"owner": "team-a"}), ["$.ssn"]),
            override_metadata=None,
            default_rule_set=RuleSet(migration_rules=None, domain_rules=[rule]),
            override_rule_set=None,
        )
        client.set_config("contract-value", config)
        stored = client.get_config("contract-value")
        assert stored.compatibility_group == "app.version"
        assert stored.default_metadata == config.default_metadata
        assert stored.default_rule_set is not None
        assert stored.default_rule_set.domain_rules == [rule]
    finally:
        client.close()


@pytest.mark.parametrize(("body", "code"), [
    ({"compatibility": "SIDEWAYS"}, 42203),
    ({"compatibilityLevel": 7}, 42203),
    ({"normalize": "yes"}, 422),
    ({"alias": 5}, 422),
    ({"compatibilityGroup": ["a"]}, 422),
    ({"defaultMetadata": {"properties": {"owner": 1}}}, 422),
    ({"overrideMetadata": {"sensitive": "ssn"}}, 422),
    ({"defaultRuleSet": {"domainRules": [{"name": "r", "kind": "MAYBE"}]}}, 422),
    ({"overrideRuleSet": {"migrationRules": [{"kind": "TRANSFORM"}]}}, 422),
    ({"defaultRuleSet": {"domainRules": {"name": "r"}}}, 422),
    ({}, 422),
    ([], 422),
])
def test_bad_config_values_are_refused_and_change_nothing(
        http: httpx.Client, body: object, code: int) -> None:
    http.put("/config/bad-cfg", json={"compatibility": "NONE", "normalize": True})
    before = http.get("/config/bad-cfg").json()
    for path in ("/config/bad-cfg", "/config"):
        answer = http.put(path, json=body)
        assert answer.json()["error_code"] == code, answer.text
    assert http.get("/config/bad-cfg").json() == before
    assert http.get("/config").json() == {"compatibilityLevel": "BACKWARD"}


def test_a_config_put_through_a_follower_reaches_the_primary(
        registry: RegistryProcess, registry_cluster: DevCluster, tmp_path: Path) -> None:
    follower = RegistryProcess.start(registry_cluster, tmp_path / "follower.log")
    try:
        with httpx.Client(base_url=follower.url, timeout=30) as via_follower:
            body = {"normalize": True, "alias": "orders-value", "compatibility": "FORWARD"}
            answer = via_follower.put("/config/fwd-cfg", json=body)
            assert answer.json() == body
            assert via_follower.get("/config/fwd-cfg").json() == {
                "alias": "orders-value", "normalize": True, "compatibilityLevel": "FORWARD"}
        with httpx.Client(base_url=registry.url, timeout=30) as primary:
            assert primary.get("/config/fwd-cfg").json()["alias"] == "orders-value"
    finally:
        assert follower.stop(grace_s=30) == 0
