"""The chart's schema registry and connect workers, tracing and kubectl scaling: environments
the code reads (names from the services' own flag parsers, values resolved as Kubernetes
would), ports that agree between settings, containers, probes and Services, the brokers'
preStop drain wait parsed by the real `kanal broker wait-drained` command, and the
controller's RBAC for the StatefulSet watch, and the `helm test` pod's registry and connect
checks."""

from __future__ import annotations

import shlex

import pytest
from kanal.cli.broker import wait_drained_command
from kanal.cli.rest import CONNECT_URL_ENV, REGISTRY_URL_ENV
from kanal.types import HostPort

from .chart_render import NAMESPACE, VALUES_SETS, Manifest, Rendered, container, render, resolve_env
from .code_contract import (
    TRACING_ENV_NAMES,
    broker_settings,
    connect_env_names,
    connect_settings,
    controller_settings,
    registry_env_names,
    registry_settings,
)

POD_FIELDS = {"metadata.name": "demo-kanal-x-5d9c-x2x4q", "metadata.namespace": NAMESPACE,
              "status.podIP": "10.1.2.3"}
CONTAINER_ONLY = {"POD_NAME", "POD_NAMESPACE", "POD_IP"}


def _env(rendered: Rendered, kind: str, component: str) -> dict[str, str]:
    owner = rendered.component(kind, component)
    return resolve_env(container(owner, component)["env"], POD_FIELDS)


def _port(ports: list[Manifest], name: str) -> int | None:
    return next((p.get("containerPort", p.get("port")) for p in ports if p["name"] == name), None)


def _enabled(values_set: str, service: str) -> bool:
    return bool(VALUES_SETS[values_set].get(service, {}).get("enabled", True))


def _bootstrap(rendered: Rendered) -> HostPort:
    brokers = rendered.component("StatefulSet", "broker")["metadata"]["name"]
    service = rendered.one("Service", brokers)
    return HostPort(f"{brokers}.{NAMESPACE}.svc", _port(service["spec"]["ports"], "grpc") or 0)


def _http_service(rendered: Rendered, component: str, port: int) -> Manifest:
    """The component's pods and Service expose `port` as http, probed with GET /."""
    owner = rendered.component("Deployment", component)
    main = container(owner, component)
    assert _port(main["ports"], "http") == port
    assert main["readinessProbe"]["httpGet"] == {"path": "/", "port": "http"}
    service = rendered.component("Service", component)
    assert _port(service["spec"]["ports"], "http") == port
    return owner


@pytest.mark.parametrize("values_set", sorted(VALUES_SETS))
def test_schema_registry_environment_is_what_the_registry_reads(values_set: str) -> None:
    rendered = render(values_set)
    if not _enabled(values_set, "schemaRegistry"):
        assert not [m for m in rendered.manifests
                    if m["metadata"]["labels"].get("app.kubernetes.io/component")
                    == "schema-registry"]
        return
    deployment = rendered.component("Deployment", "schema-registry")
    names = {v["name"] for v in container(deployment, "schema-registry")["env"]}
    names -= CONTAINER_ONLY | TRACING_ENV_NAMES  # the SDK's own (test_tracing_env_...)
    assert names <= registry_env_names(), names - registry_env_names()
    settings = registry_settings(_env(rendered, "Deployment", "schema-registry"))
    assert (settings.host, settings.advertised_host) == ("0.0.0.0", "10.1.2.3")
    assert settings.instance_id == POD_FIELDS["metadata.name"]
    _http_service(rendered, "schema-registry", settings.port)
    assert [HostPort.parse(e, 0) for e in settings.bootstrap.split(",")] == [
        _bootstrap(rendered)]
    broker = broker_settings({**resolve_env(container(rendered.component(
        "StatefulSet", "broker"), "broker")["env"], POD_FIELDS), "HOSTNAME": "b-0"})
    assert settings.etcd_endpoints == broker.etcd_endpoints
    assert settings.cluster_id == broker.cluster_id
    metrics = VALUES_SETS[values_set].get("metrics", {}).get("enabled", True)
    assert settings.metrics_port == (9407 if metrics else 0)


@pytest.mark.parametrize("values_set", sorted(VALUES_SETS))
def test_connect_environment_is_what_the_worker_reads(values_set: str) -> None:
    rendered = render(values_set)
    if not _enabled(values_set, "connect"):
        assert not rendered.of_kind("Deployment") or all(
            m["metadata"]["labels"]["app.kubernetes.io/component"] != "connect"
            for m in rendered.of_kind("Deployment"))
        return
    deployment = rendered.component("Deployment", "connect")
    names = {v["name"] for v in container(deployment, "connect")["env"]}
    names -= CONTAINER_ONLY | TRACING_ENV_NAMES  # the SDK's own (test_tracing_env_...)
    assert names <= connect_env_names(), names - connect_env_names()
    settings = connect_settings(_env(rendered, "Deployment", "connect"))
    assert (settings.host, settings.advertised_host) == ("0.0.0.0", "10.1.2.3")
    _http_service(rendered, "connect", settings.port)
    assert [HostPort.parse(e, 0) for e in settings.bootstrap.split(",")] == [
        _bootstrap(rendered)]
    assert settings.group_id == "connect-cluster"
    external = VALUES_SETS[values_set].get("connect", {}).get("schemaRegistryUrl")
    if external:
        assert settings.schema_registry_url == external
    else:
        registry = rendered.component("Service", "schema-registry")
        port = _port(registry["spec"]["ports"], "http")
        assert settings.schema_registry_url == \
            f"http://{registry['metadata']['name']}.{NAMESPACE}.svc:{port}"


@pytest.mark.parametrize("values_set", sorted(VALUES_SETS))
def test_tracing_env_only_when_an_endpoint_is_set(values_set: str) -> None:
    rendered = render(values_set)
    endpoint = VALUES_SETS[values_set].get("tracing", {}).get("otlpEndpoint", "")
    broker_env = resolve_env(container(rendered.component("StatefulSet", "broker"),
                                       "broker")["env"], POD_FIELDS)
    controller_env = _env(rendered, "Deployment", "controller")
    http_envs = {component: _env(rendered, "Deployment", component)
                 for component, values in (("schema-registry", "schemaRegistry"),
                                           ("connect", "connect"))
                 if _enabled(values_set, values)}
    for env in (broker_env, controller_env, *http_envs.values()):
        otel = {name for name in env if name.startswith("OTEL_")}
        assert otel <= TRACING_ENV_NAMES
        assert bool(otel) == bool(endpoint)
    assert broker_settings({**broker_env, "HOSTNAME": "b-0"}).otlp_endpoint == endpoint
    assert controller_settings(controller_env).otlp_endpoint == endpoint
    if "schema-registry" in http_envs:
        assert registry_settings(http_envs["schema-registry"]).otlp_endpoint == endpoint
    if "connect" in http_envs:
        assert connect_settings(http_envs["connect"]).otlp_endpoint == endpoint
    if endpoint:
        assert broker_env["OTEL_TRACES_SAMPLER"] == "parentbased_always_on"


@pytest.mark.parametrize("values_set", sorted(VALUES_SETS))
def test_the_departing_broker_waits_for_its_drain(values_set: str) -> None:
    rendered = render(values_set)
    statefulset = rendered.component("StatefulSet", "broker")
    broker = container(statefulset, "broker")
    shell, flag, script = broker["lifecycle"]["preStop"]["exec"]["command"]
    assert (shell, flag) == ("/bin/sh", "-c")
    words = shlex.split(script)
    assert words[:4] == ["exec", "kanal", "broker", "wait-drained"]
    assert words[4] == "${HOSTNAME##*-}", "the broker id is the pod ordinal"
    # The real command parses the hook's arguments (an ordinal stands in for the expansion).
    context = wait_drained_command.make_context("wait-drained", ["2", *words[5:]])
    bootstrap = HostPort.parse(words[words.index("--bootstrap") + 1], 0)
    settings = broker_settings({**resolve_env(broker["env"], POD_FIELDS), "HOSTNAME": "b-2"})
    assert bootstrap == HostPort("127.0.0.1", settings.port)
    grace = statefulset["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    # The wait and the settle, then SIGTERM's controlled shutdown, must all fit.
    shutdown_s = settings.controlled_shutdown_timeout_ms / 1000
    assert grace >= context.params["timeout_s"] + context.params["settle_s"] + shutdown_s


@pytest.mark.parametrize("values_set", sorted(VALUES_SETS))
def test_the_controller_follows_kubectl_scale(values_set: str) -> None:
    rendered = render(values_set)
    env = _env(rendered, "Deployment", "controller")
    settings = controller_settings(env)
    enabled = VALUES_SETS[values_set].get("controller", {}).get(
        "kubernetesScaling", {}).get("enabled", True)
    pod = rendered.component("Deployment", "controller")["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is enabled
    if not enabled:
        assert settings.k8s_broker_statefulset == ""
        return
    statefulset = rendered.component("StatefulSet", "broker")["metadata"]["name"]
    assert (settings.k8s_broker_statefulset, settings.k8s_namespace) == (statefulset, NAMESPACE)
    assert settings.rebalance_on_broker_join is True
    assert settings.rebalance_throttle_bytes_per_s == 10 * 1024 * 1024


def test_controller_rbac_grants_the_watch_and_the_events() -> None:
    rendered = render("defaults")
    role = rendered.component("Role", "controller")
    granted = {(group, resource): set(rule["verbs"]) for rule in role["rules"]
               for group in rule["apiGroups"] for resource in rule["resources"]}
    assert granted == {("apps", "statefulsets"): {"get", "list", "watch"},
                       ("", "events"): {"create"}}
    binding = rendered.component("RoleBinding", "controller")
    deployment = rendered.component("Deployment", "controller")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"][0]["name"] == \
        deployment["spec"]["template"]["spec"]["serviceAccountName"]


@pytest.mark.parametrize("values_set", ["defaults", "without-registry-and-connect"])
def test_helm_test_checks_the_registry_and_connect_it_has(values_set: str) -> None:
    rendered = render(values_set)
    kanal = container(rendered.component("Pod", "test"), "kanal")
    env = {v["name"]: v["value"] for v in kanal["env"]}
    script = kanal["command"][-1]
    on = _enabled(values_set, "schemaRegistry")
    assert ("kanal schema register" in script) is on
    assert ("kanal connect list" in script) is on
    if on:
        # The names the `kanal schema` / `kanal connect` commands read.
        for variable, component in ((REGISTRY_URL_ENV, "schema-registry"),
                                    (CONNECT_URL_ENV, "connect")):
            service = rendered.component("Service", component)
            port = _port(service["spec"]["ports"], "http")
            assert env[variable] == f"http://{service['metadata']['name']}.{NAMESPACE}.svc:{port}"
    else:
        assert not {REGISTRY_URL_ENV, CONNECT_URL_ENV} & set(env)
