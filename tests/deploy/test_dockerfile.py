"""The Dockerfile's targets: non-root, exec-form ENTRYPOINT running the service module, a
HEALTHCHECK on the port the service listens on by default (`python -m kanal.healthcheck`
for the gRPC services, `GET /` for the REST ones), EXPOSEd default ports and only
environment names the service reads."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from kanal_broker.settings import BrokerSettings
from kanal_connect.worker.settings import WorkerSettings
from kanal_controller.settings import ControllerSettings
from kanal_registry.settings import RegistrySettings

from .chart_render import REPO
from .code_contract import (
    broker_env_names,
    connect_env_names,
    controller_env_names,
    registry_env_names,
)
from .dockerfile import Stage, read_stages

DOCKERFILE = REPO / "Dockerfile"


@pytest.fixture(scope="module")
def stages() -> dict[str, Stage]:
    return read_stages(DOCKERFILE)


def _defaults() -> dict[str, tuple[str, int, int, frozenset[str]]]:
    broker = BrokerSettings(broker_id=0, data_dir=REPO)
    controller = ControllerSettings(controller_id="c")
    return {
        "broker": ("kanal_broker", broker.port, broker.metrics_port, broker_env_names()),
        "controller": ("kanal_controller", controller.port, controller.metrics_port,
                       controller_env_names()),
    }


@pytest.mark.parametrize("target", ["broker", "controller"])
def test_service_target(stages: dict[str, Stage], target: str) -> None:
    module, port, metrics_port, env_names = _defaults()[target]
    stage = stages[target]
    assert stage.base == "base"
    assert stage.exec_form("ENTRYPOINT") == ["python", "-m", module]
    user = stage.last("USER").split(":")[0]
    assert user not in ("root", "0"), "the service must not run as root"
    assert stage.healthcheck_command() == [
        "python", "-m", "kanal.healthcheck", "--quiet", f"127.0.0.1:{port}"]
    assert set(stage.last("EXPOSE").split()) == {str(port), str(metrics_port)}
    kanal_env = {name for name in stage.env_names() if name.startswith("KANAL_")}
    assert kanal_env, "the image sets its in-container defaults"
    assert kanal_env <= env_names, f"names the {target} does not read: {kanal_env - env_names}"


_URLLIB_CHECK = re.compile(r"import urllib\.request; urllib\.request\.urlopen\("
                           r"'http://127\.0\.0\.1:(\d+)/', timeout=\d+\)")


@pytest.mark.parametrize(("target", "module", "settings", "env_names"), [
    ("registry", "kanal_registry", RegistrySettings(instance_id="r", etcd_endpoints=()),
     registry_env_names),
    ("connect", "kanal_connect", WorkerSettings(), connect_env_names),
])
def test_rest_service_target(stages: dict[str, Stage], target: str, module: str,
                             settings: RegistrySettings | WorkerSettings,
                             env_names: Callable[[], frozenset[str]]) -> None:
    stage = stages[target]
    assert stage.base == "base"
    assert stage.exec_form("ENTRYPOINT") == ["python", "-m", module]
    assert stage.last("USER").split(":")[0] not in ("root", "0")
    command = stage.healthcheck_command()
    assert command[:2] == ["python", "-c"]
    match = _URLLIB_CHECK.fullmatch(command[2])
    assert match and int(match.group(1)) == settings.port, command
    assert set(stage.last("EXPOSE").split()) == {
        str(settings.port), str(settings.grpc_port), str(settings.metrics_port)}
    kanal_env = {name for name in stage.env_names() if name.startswith("KANAL_")}
    assert kanal_env == {f"KANAL_{'REGISTRY' if target == 'registry' else 'CONNECT'}_HOST"}
    assert kanal_env <= env_names()


@pytest.mark.parametrize(("target", "others"), [
    ("broker", ["services/controller"]),
    ("controller", ["services/broker"]),
    ("registry", ["services/broker", "services/controller", "services/connect"]),
    ("connect", ["services/broker", "services/controller", "services/schema-registry"]),
    ("cli", ["services/"]),
])
def test_each_image_installs_only_its_own_code(
    stages: dict[str, Stage], target: str, others: list[str]
) -> None:
    build = stages[f"build-{target}"]
    copied = " ".join(build.all("COPY") + build.all("RUN"))
    assert "libs/kanal" in copied
    folder = {"registry": "schema-registry"}.get(target, target)
    if target in ("broker", "controller", "registry"):  # they talk to etcd
        assert f"services/{folder}" in copied
        assert "libs/kanal[server]" in copied
    elif target == "connect":  # a client of the brokers and the registry only
        assert f"services/{folder}" in copied
        assert "[server]" not in copied
    else:
        assert "[server]" not in copied
    for other in others:
        assert other not in copied
    runtime = stages[target]
    assert runtime.all("COPY") == [f"--from=build-{target} /opt/venv /opt/venv"]


def test_base_is_slim_python_311(stages: dict[str, Stage]) -> None:
    text = DOCKERFILE.read_text()
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text
    assert stages["base"].base == "${PYTHON_IMAGE}"


def test_dockerignore_keeps_the_context_to_the_sources() -> None:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    patterns = [line for line in lines if line and not line.startswith("#")]
    assert patterns[0] == "**", "exclude everything, then re-include what the images need"
    included = {p[1:] for p in patterns if p.startswith("!")}
    assert {"libs/kanal/kanal", "services/broker/kanal_broker",
            "services/controller/kanal_controller", "services/schema-registry/kanal_registry",
            "services/connect/kanal_connect"} <= included
    assert not any(p.startswith((".venv", ".git")) for p in included)
