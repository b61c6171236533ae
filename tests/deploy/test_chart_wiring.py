"""What the rendered chart means: brokers and controllers get environments the code reads
(names from the services' own flag parsers, values resolved as Kubernetes would), ports agree
between settings, containers, probes and Services, and each values set changes what it
should."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from kanal.types import HostPort

from .chart_render import (
    CHART,
    NAMESPACE,
    VALUES_SETS,
    Manifest,
    Rendered,
    container,
    render,
    resolve_env,
)
from .code_contract import (
    TRACING_ENV_NAMES,
    broker_env_names,
    broker_settings,
    controller_env_names,
    controller_settings,
)

CONTAINER_ONLY = {"POD_NAME", "POD_NAMESPACE", "POD_IP"}  # downward API, for $(...) only


def _broker_env(rendered: Rendered, ordinal: int) -> dict[str, str]:
    statefulset = rendered.component("StatefulSet", "broker")
    pod = f"{statefulset['metadata']['name']}-{ordinal}"
    env = resolve_env(container(statefulset, "broker")["env"],
                      {"metadata.name": pod, "metadata.namespace": NAMESPACE})
    return {**env, "HOSTNAME": pod}


def _controller_env(rendered: Rendered) -> dict[str, str]:
    deployment = rendered.component("Deployment", "controller")
    return resolve_env(container(deployment, "controller")["env"],
                       {"metadata.name": "demo-kanal-controller-5d9c-x2x4q",
                        "status.podIP": "10.1.2.3"})


def _etcd_members(rendered: Rendered) -> tuple[HostPort, ...]:
    statefulset = rendered.component("StatefulSet", "etcd")
    name, service = statefulset["metadata"]["name"], statefulset["spec"]["serviceName"]
    return tuple(HostPort(f"{name}-{i}.{service}.{NAMESPACE}.svc", 2379)
                 for i in range(statefulset["spec"]["replicas"]))


def _port(ports: list[Manifest], name: str) -> int | None:
    return next((p.get("containerPort", p.get("port")) for p in ports if p["name"] == name), None)


@pytest.mark.parametrize("values_set", sorted(VALUES_SETS))
def test_broker_environment_is_what_the_broker_reads(values_set: str) -> None:
    rendered = render(values_set)
    statefulset = rendered.component("StatefulSet", "broker")
    names = {v["name"] for v in container(statefulset, "broker")["env"]} - CONTAINER_ONLY
    names -= TRACING_ENV_NAMES  # the OpenTelemetry SDK's own (test_chart_platform)
    assert names <= broker_env_names(), names - broker_env_names()
    last = statefulset["spec"]["replicas"] - 1
    settings = broker_settings(_broker_env(rendered, last))
    assert settings.broker_id == last, "broker id = StatefulSet ordinal"
    headless = rendered.one("Service", statefulset["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    assert settings.advertised == HostPort(
        f"{statefulset['metadata']['name']}-{last}.{headless['metadata']['name']}.{NAMESPACE}.svc",
        settings.port)
    assert settings.host == "0.0.0.0"
    broker = container(statefulset, "broker")
    assert _port(broker["ports"], "grpc") == settings.port
    assert broker["readinessProbe"]["grpc"]["port"] == settings.port
    assert _port(headless["spec"]["ports"], "grpc") == settings.port
    assert {m["mountPath"] for m in broker["volumeMounts"]} >= {str(settings.data_dir)}
    claim = statefulset["spec"]["volumeClaimTemplates"][0]["metadata"]["name"]
    assert any(m["name"] == claim and m["mountPath"] == str(settings.data_dir)
               for m in broker["volumeMounts"])
    metrics_values = VALUES_SETS[values_set].get("metrics", {})
    if metrics_values.get("enabled", True):
        assert _port(broker["ports"], "metrics") == settings.metrics_port == 9404
        assert _port(headless["spec"]["ports"], "metrics") == settings.metrics_port
    else:
        assert settings.metrics_port == 0
        assert _port(broker["ports"], "metrics") is None


@pytest.mark.parametrize("values_set", sorted(VALUES_SETS))
def test_controller_environment_is_what_the_controller_reads(values_set: str) -> None:
    rendered = render(values_set)
    deployment = rendered.component("Deployment", "controller")
    names = {v["name"] for v in container(deployment, "controller")["env"]} - CONTAINER_ONLY
    names -= TRACING_ENV_NAMES
    assert names <= controller_env_names(), names - controller_env_names()
    settings = controller_settings(_controller_env(rendered))
    assert settings.controller_id == "demo-kanal-controller-5d9c-x2x4q"
    assert (settings.host, settings.advertised_host) == ("0.0.0.0", "10.1.2.3")
    controller = container(deployment, "controller")
    assert _port(controller["ports"], "grpc") == settings.port
    assert controller["readinessProbe"]["grpc"]["port"] == settings.port
    service = rendered.component("Service", "controller")
    assert _port(service["spec"]["ports"], "grpc") == settings.port
    brokers = rendered.component("StatefulSet", "broker")["spec"]["replicas"]
    assert settings.default_replication_factor <= brokers


@pytest.mark.parametrize("values_set", sorted(VALUES_SETS))
def test_services_share_etcd_and_cluster_id(values_set: str) -> None:
    rendered = render(values_set)
    broker = broker_settings(_broker_env(rendered, 0))
    controller = controller_settings(_controller_env(rendered))
    assert broker.cluster_id == controller.cluster_id == "kanal"
    assert broker.etcd_endpoints == controller.etcd_endpoints
    external = VALUES_SETS[values_set].get("etcd", {}).get("external", {}).get("endpoints")
    if external:
        assert not [m for m in rendered.of_kind("StatefulSet")
                    if m["metadata"]["labels"]["app.kubernetes.io/component"] == "etcd"]
        assert broker.etcd_endpoints == tuple(HostPort.parse(e, 2379) for e in external)
    else:
        assert broker.etcd_endpoints == _etcd_members(rendered)


def test_etcd_members_know_each_other() -> None:
    rendered = render("defaults")
    statefulset = rendered.component("StatefulSet", "etcd")
    command = container(statefulset, "etcd")["command"]
    flags = dict(arg.split("=", 1) for arg in command[1:])
    members = dict(m.split("=", 1) for m in flags["--initial-cluster"].split(","))
    assert len(members) == statefulset["spec"]["replicas"] == 3
    for endpoint in _etcd_members(rendered):
        assert members[endpoint.host.split(".", 1)[0]] == f"http://{endpoint.host}:2380"
    assert statefulset["spec"]["podManagementPolicy"] == "Parallel"
    assert rendered.one("Service", statefulset["spec"]["serviceName"])["spec"][
        "publishNotReadyAddresses"] is True


def test_five_brokers() -> None:
    rendered = render("five-brokers")
    assert rendered.component("StatefulSet", "broker")["spec"]["replicas"] == 5
    assert broker_settings(_broker_env(rendered, 4)).broker_id == 4
    assert "broker ids 0..4" in rendered.notes


def test_broker_pods_spread_and_stop_gracefully() -> None:
    rendered = render("defaults")
    statefulset = rendered.component("StatefulSet", "broker")
    pod = statefulset["spec"]["template"]["spec"]
    selector = statefulset["spec"]["selector"]["matchLabels"]
    term = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert term[0]["podAffinityTerm"]["labelSelector"]["matchLabels"] == selector
    spread = pod["topologySpreadConstraints"][0]
    assert spread["topologyKey"] == "topology.kubernetes.io/zone"
    assert spread["labelSelector"]["matchLabels"] == selector
    assert pod["terminationGracePeriodSeconds"] >= 60
    assert "preStop" in container(statefulset, "broker")["lifecycle"]
    pdb = rendered.component("PodDisruptionBudget", "broker")
    assert pdb["spec"]["maxUnavailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"] == selector
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["fsGroup"] == 10001


def test_racks_from_the_node_zone() -> None:
    rendered = render("racks")
    statefulset = rendered.component("StatefulSet", "broker")
    pod = statefulset["spec"]["template"]["spec"]
    assert pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert pod["topologySpreadConstraints"][0]["whenUnsatisfiable"] == "DoNotSchedule"
    init = pod["initContainers"][0]
    init_env = {v["name"]: v for v in init["env"]}
    assert init_env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
    assert init_env["NODE_LABEL"]["value"] == "topology.kubernetes.io/zone"
    rack_file = init_env["RACK_FILE"]["value"]
    command = " ".join(container(statefulset, "broker")["command"])
    assert f'cat {rack_file}' in command and "KANAL_BROKER_RACK" in command
    assert "KANAL_BROKER_RACK" in broker_env_names()
    assert command.rstrip().endswith("exec python -m kanal_broker")
    scripts = rendered.one("ConfigMap", f"{statefulset['metadata']['name']}-scripts")
    assert scripts["data"]["node_zone.py"].strip() == \
        (CHART / "files" / "node_zone.py").read_text().strip()
    role = rendered.of_kind("ClusterRole")[0]
    assert role["rules"] == [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}]
    binding = rendered.of_kind("ClusterRoleBinding")[0]
    assert binding["subjects"][0]["name"] == pod["serviceAccountName"]
    assert pod["automountServiceAccountToken"] is True
    assert "initContainers" not in \
        render("defaults").component("StatefulSet", "broker")["spec"]["template"]["spec"]


def test_controller_deployment_and_no_role_without_rbac() -> None:
    assert render("defaults").component("Deployment", "controller")["spec"]["replicas"] == 3
    assert not render("single-node").of_kind("Role")


@pytest.mark.parametrize(("values_set", "monitors"), [
    ("defaults", 0), ("service-monitor", 4), ("metrics-off", 0),
    ("without-registry-and-connect", 2),
])
def test_service_monitors(values_set: str, monitors: int) -> None:
    rendered = render(values_set)
    found = rendered.of_kind("ServiceMonitor")
    assert len(found) == monitors
    for monitor in found:
        assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
        wanted = monitor["spec"]["selector"]["matchLabels"]
        services = [s for s in rendered.of_kind("Service")
                    if wanted.items() <= s["metadata"]["labels"].items()]
        assert len(services) == 1, "exactly one Service per component is scraped"
        port = monitor["spec"]["endpoints"][0]["port"]
        assert port in {p["name"] for p in services[0]["spec"]["ports"]}


def test_dashboards_as_configmaps() -> None:
    maps = [m for m in render("defaults").of_kind("ConfigMap")
            if m["metadata"]["labels"].get("grafana_dashboard") == "1"]
    shipped = {p.name: json.loads(p.read_text()) for p in (CHART / "dashboards").glob("*.json")}
    assert {key for m in maps for key in m["data"]} == set(shipped)
    for config_map in maps:
        for key, text in config_map["data"].items():
            assert json.loads(text) == shipped[key]
    assert not [m for m in render("metrics-off").of_kind("ConfigMap")
                if "grafana_dashboard" in m["metadata"]["labels"]]
    # A service the release leaves out brings no dashboard.
    without = {key for m in render("without-registry-and-connect").of_kind("ConfigMap")
               if m["metadata"]["labels"].get("grafana_dashboard") == "1" for key in m["data"]}
    assert without == set(shipped) - {"schema-registry.json", "connect.json"}


def test_helm_test_pod_runs_the_cli_against_the_brokers() -> None:
    rendered = render("defaults")
    pod = rendered.component("Pod", "test")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    kanal = container(pod, "kanal")
    assert kanal["image"].endswith("/cli:0.1.0")
    env = {v["name"]: v["value"] for v in kanal["env"]}
    bootstrap = HostPort.parse(env["KANAL_BOOTSTRAP"], 0)
    brokers = rendered.component("StatefulSet", "broker")["metadata"]["name"]
    service = rendered.one("Service", brokers)
    assert service["spec"]["type"] == "ClusterIP"
    assert bootstrap == HostPort(f"{service['metadata']['name']}.{NAMESPACE}.svc",
                                 _port(service["spec"]["ports"], "grpc") or 0)
    script = kanal["command"][-1]
    for step in ('kanal topic create "$TOPIC" --partitions 3',
                 'kanal produce "$TOPIC"',
                 'kanal consume "$TOPIC" --from-beginning --max-messages "$RECORDS"'):
        assert step in script
    assert env["REPLICATION_FACTOR"] == "3"
    single = container(render("single-node").component("Pod", "test"), "kanal")
    assert {v["name"]: v["value"] for v in single["env"]}["REPLICATION_FACTOR"] == "1"


def test_values_yaml_documents_every_key() -> None:
    """Every leaf of values.yaml is covered by values.schema.json (no undocumented keys)."""
    values: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    schema = json.loads((CHART / "values.schema.json").read_text())

    def walk(node: dict[str, Any], schema_node: dict[str, Any], path: str) -> None:
        for key, value in node.items():
            assert key in schema_node.get("properties", {}), f"{path}{key} not in the schema"
            child = schema_node["properties"][key]
            if isinstance(value, dict) and "properties" in child:
                walk(value, child, f"{path}{key}.")

    walk(values, schema, "")
