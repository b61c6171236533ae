"""The chart renders with the real Helm engine under every values set, passes `helm lint
--strict`, and every manifest validates against the Kubernetes API schemas in strict mode
(unknown fields are errors). ServiceMonitors validate against the Prometheus Operator CRD's
own schema (tests/deploy/schemas/servicemonitor-v1.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import helm_python as helm
import jsonschema
import kubernetes_validate
import pytest

from .chart_render import CHART, VALUES_SETS, Manifest, render, render_with

# The oldest version Chart.yaml's kubeVersion allows, and the newest schema available.
KUBERNETES_VERSIONS = ["1.27.0", kubernetes_validate.latest_version()]
SERVICE_MONITOR_SCHEMA = Path(__file__).parent / "schemas" / "servicemonitor-v1.json"


def _strict(schema: Any) -> Any:
    """CRD schemas leave additionalProperties open; close every object that lists its
    properties, as the API server's pruning would drop unknown fields silently."""
    if isinstance(schema, dict):
        closed = {key: _strict(value) for key, value in schema.items()}
        if "properties" in closed and "additionalProperties" not in closed \
                and not closed.get("x-kubernetes-preserve-unknown-fields"):
            closed["additionalProperties"] = False
        return closed
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


def _validate(manifest: Manifest, version: str) -> None:
    if manifest["kind"] == "ServiceMonitor":
        schema = _strict(json.loads(SERVICE_MONITOR_SCHEMA.read_text()))
        jsonschema.Draft7Validator(schema).validate(manifest)
    else:
        kubernetes_validate.validate(manifest, version, strict=True)


@pytest.mark.parametrize("values_set", sorted(VALUES_SETS))
def test_lint_strict(values_set: str) -> None:
    report = helm.lint(CHART, VALUES_SETS[values_set], strict=True, namespace="streaming")
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert not report["errors"] and not problems, report


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("values_set", sorted(VALUES_SETS))
def test_manifests_validate_strictly(values_set: str, version: str) -> None:
    manifests = render(values_set).manifests
    assert manifests
    for manifest in manifests:
        try:
            _validate(manifest, version)
        except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as error:
            pytest.fail(f"{manifest['kind']}/{manifest['metadata']['name']}: {error}")


def test_strict_validation_catches_an_unknown_field() -> None:
    statefulset = json.loads(json.dumps(render("defaults").component("StatefulSet", "broker")))
    statefulset["spec"]["template"]["spec"]["containers"][0]["livenessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(statefulset, KUBERNETES_VERSIONS[0])
    monitor = json.loads(json.dumps(render("service-monitor").component("ServiceMonitor",
                                                                        "broker")))
    monitor["spec"]["endpoints"][0]["scrapeInterval"] = "30s"
    with pytest.raises(jsonschema.ValidationError):
        _validate(monitor, KUBERNETES_VERSIONS[0])


@pytest.mark.parametrize("bad", [
    {"broker": {"replicas": 0}},
    {"broker": {"podAntiAffinity": "sometimes"}},
    {"etcd": {"external": {"endpoints": ["no-port"]}}},
    {"etcd": {"replicas": 2}},
    {"logLevel": "TRACE"},
    {"brokers": {"replicas": 3}},
    {"tracing": {"sampler": "sometimes"}},
    {"tracing": {"otlpEndpoint": "collector:4317"}},
    {"connect": {"port": 0}},
    {"connect": {"schemaRegistryUrl": "registry:8081"}},
    {"schemaRegistry": {"leaseTtlSeconds": 1}},
])
def test_schema_rejects_bad_values(bad: dict[str, Any]) -> None:
    with pytest.raises(helm.HelmValuesError):
        render_with(bad)


def test_connect_without_a_registry_fails_clearly() -> None:
    with pytest.raises(helm.HelmRenderError, match=r"connect\.schemaRegistryUrl"):
        render_with({"schemaRegistry": {"enabled": False}})
