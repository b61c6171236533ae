"""Render helm/kanal with the real Helm engine (helm-python-sdk: Helm's Go code through a C
ABI, no helm binary) and look things up in the manifests."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "kanal"
RELEASE = "demo"
NAMESPACE = "streaming"

Manifest = dict[str, Any]

# The values sets every chart test runs over: name -> overrides of values.yaml.
VALUES_SETS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "five-brokers": {"broker": {"replicas": 5}},
    "racks": {"racks": {"enabled": True},
              "broker": {"podAntiAffinity": "hard",
                         "topologySpread": {"whenUnsatisfiable": "DoNotSchedule"}}},
    "external-etcd": {"etcd": {"external": {"endpoints": ["etcd-a.infra:2379",
                                                          "etcd-b.infra:2379"]}}},
    "service-monitor": {"metrics": {"serviceMonitor": {
        "enabled": True, "labels": {"release": "kube-prometheus-stack"}}}},
    "metrics-off": {"metrics": {"enabled": False, "serviceMonitor": {"enabled": True}},
                    "dashboards": {"enabled": False}},
    "single-node": {"broker": {"replicas": 1},
                    "controller": {"replicas": 1, "kubernetesScaling": {"enabled": False}},
                    "etcd": {"replicas": 1}, "rbac": {"create": False},
                    "serviceAccount": {"create": False},
                    "schemaRegistry": {"replicas": 1}, "connect": {"replicas": 1}},
    "tracing": {"tracing": {"otlpEndpoint": "http://otel-collector.observability:4317",
                            "sampler": "parentbased_always_on"}},
    "without-registry-and-connect": {"schemaRegistry": {"enabled": False},
                                     "connect": {"enabled": False},
                                     "metrics": {"serviceMonitor": {
                                         "enabled": True,
                                         "labels": {"release": "kube-prometheus-stack"}}}},
    "connect-external-registry": {"schemaRegistry": {"enabled": False},
                                  "connect": {"schemaRegistryUrl": "http://registry.infra:8081",
                                              "replicas": 3}},
}


@dataclass(frozen=True)
class Rendered:
    manifests: tuple[Manifest, ...]
    notes: str

    def of_kind(self, kind: str) -> list[Manifest]:
        return [m for m in self.manifests if m["kind"] == kind]

    def one(self, kind: str, name: str) -> Manifest:
        found = [m for m in self.of_kind(kind) if m["metadata"]["name"] == name]
        assert len(found) == 1, f"{kind}/{name}: {len(found)} rendered"
        return found[0]

    def component(self, kind: str, component: str) -> Manifest:
        found = [m for m in self.of_kind(kind)
                 if m["metadata"]["labels"].get("app.kubernetes.io/component") == component]
        assert len(found) == 1, f"{kind} of {component}: {len(found)} rendered"
        return found[0]


def render_with(values: Mapping[str, Any]) -> Rendered:
    with helm.Chart.load(CHART) as chart:
        chart.validate_schema(dict(values))
        files = chart.render(dict(values), name=RELEASE, namespace=NAMESPACE, revision=1,
                             is_install=True)
    manifests: list[Manifest] = []
    notes = ""
    for path, text in sorted(files.items()):
        if path.endswith("NOTES.txt"):
            notes = text
            continue
        manifests.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return Rendered(tuple(manifests), notes)


@cache
def render(values_set: str) -> Rendered:
    return render_with(VALUES_SETS[values_set])


def container(pod_owner: Manifest, name: str) -> Manifest:
    spec = pod_owner["spec"]
    if pod_owner["kind"] != "Pod":
        spec = spec["template"]["spec"]
    found: list[Manifest] = [c for c in spec["containers"] if c["name"] == name]
    assert len(found) == 1, f"container {name}: {len(found)}"
    return found[0]


_REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def resolve_env(env: list[Manifest], field_values: Mapping[str, str]) -> dict[str, str]:
    """The environment Kubernetes gives the container: `valueFrom.fieldRef` from
    `field_values` (keyed by fieldPath), `$(NAME)` expanded from variables defined earlier in
    the list (Kubernetes leaves unknown references as they are)."""
    resolved: dict[str, str] = {}
    for variable in env:
        if "valueFrom" in variable:
            value = field_values[variable["valueFrom"]["fieldRef"]["fieldPath"]]
        else:
            value = _REFERENCE.sub(lambda m: resolved.get(m.group(1), m.group(0)),
                                   str(variable["value"]))
        resolved[variable["name"]] = value
    return resolved
