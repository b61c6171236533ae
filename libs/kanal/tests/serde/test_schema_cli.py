"""`kanal schema ...` as a user types it, against a real registry: output, the registry's
error codes on stderr, and exit codes (0 done, 1 refused, 2 usage, 3 incompatible)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from kanal.cli.main import cli
from kanal.devcluster.cluster import DevCluster

from .conftest import Namer

pytestmark = pytest.mark.integration

V1 = {"type": "record", "name": "P", "fields": [{"name": "a", "type": "int"}]}
V2 = {**V1, "fields": [*V1["fields"], {"name": "b", "type": "string", "default": ""}]}
BREAKING = {**V1, "fields": [{"name": "a", "type": "string"}]}


def kanal(url: str, *args: str) -> Result:
    """In process (each command as a subprocess would cost a second of imports)."""
    return CliRunner().invoke(cli, ["schema", *args], env={"KANAL_SCHEMA_REGISTRY_URL": url})


def kanal_process(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kanal.cli", "schema", *args],
        check=False, capture_output=True, text=True, timeout=60,
        env={**os.environ, "KANAL_SCHEMA_REGISTRY_URL": url},
    )  # fmt: skip


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.stderr, result.exception)
    return result.stdout


def write(tmp_path: Path, name: str, schema: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(schema))
    return str(path)


def test_register_evolve_check_and_read(
    registry_cluster: DevCluster, unique: Namer, tmp_path: Path
) -> None:
    url, subject = registry_cluster.registry_url, unique("cli")
    first = ok(kanal(url, "register", subject, "--schema-file", write(tmp_path, "v1.avsc", V1)))
    assert first.startswith(f"Registered under {subject}: schema id ")
    schema_id = first.split()[-1].rstrip(".")
    assert ok(kanal(url, "check", subject, "--schema", json.dumps(V2))) == "compatible\n"
    incompatible = kanal(url, "check", subject, "--schema", json.dumps(BREAKING))
    assert incompatible.exit_code == 3
    assert incompatible.stdout.startswith("incompatible\n  ")
    ok(kanal(url, "register", subject, "--schema", json.dumps(V2)))
    assert ok(kanal(url, "versions", subject)) == "1\n2\n"
    assert subject in ok(kanal(url, "list", "--prefix", subject)).split()
    described = ok(kanal(url, "get", subject, "--version", "1"))
    assert described.startswith(f"subject: {subject}\nversion: 1\nid:      {schema_id}\n")
    assert json.loads(ok(kanal(url, "get", "--id", schema_id))) == V1
    assert json.loads(ok(kanal(url, "get", subject, "--schema-only"))) == V2


def test_config_shows_and_sets_normalize_without_a_level(
    registry_cluster: DevCluster, unique: Namer
) -> None:
    url, subject = registry_cluster.registry_url, unique("cli")
    alias = unique("cli-alias")
    put = httpx.put(f"{url}/config/{subject}", json={"alias": alias}, timeout=10)
    assert put.status_code == 200, put.text
    shown = ok(kanal(url, "config", subject)).splitlines()
    assert f"alias:              {alias}" in shown
    assert "compatibilityLevel: BACKWARD" in shown  # the global level fills the unset one
    normalized = ok(kanal(url, "config", subject, "--normalize")).splitlines()
    assert "normalize:          true" in normalized
    assert httpx.get(f"{url}/config/{subject}", timeout=10).json() == {
        "alias": alias, "normalize": True}
    ok(kanal(url, "config", subject, "--no-normalize", "--set", "none"))
    assert httpx.get(f"{url}/config/{subject}", timeout=10).json() == {
        "alias": alias, "normalize": False, "compatibilityLevel": "NONE"}
    assert kanal(url, "config", "--delete", "--normalize").exit_code == 2


def test_config_mode_and_delete(registry_cluster: DevCluster, unique: Namer) -> None:
    url, subject = registry_cluster.registry_url, unique("cli")
    ok(kanal(url, "register", subject, "--schema", '"string"'))
    assert ok(kanal(url, "config", subject, "--set", "full")) == "compatibilityLevel: FULL\n"
    assert ok(kanal(url, "config", subject)) == "compatibilityLevel: FULL\n"
    assert ok(kanal(url, "config", subject, "--delete")) == "compatibilityLevel: BACKWARD\n"
    assert ok(kanal(url, "mode")) == "READWRITE\n"
    assert ok(kanal(url, "delete", subject)) == f"{subject}: deleted version(s) 1.\n"
    assert ok(kanal(url, "delete", subject, "--permanent")).startswith(f"{subject}: permanently")


def test_refusals_print_the_registry_code_and_exit_1(
    registry_cluster: DevCluster, unique: Namer
) -> None:
    url = registry_cluster.registry_url
    missing = kanal(url, "get", unique("nobody"))
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: [40401] ")
    invalid = kanal(url, "register", unique("bad"), "--schema", '{"type": "nonsense"}')
    assert invalid.exit_code == 1
    assert invalid.stderr.startswith("Error: [42201] ")
    assert len(invalid.stderr.strip().splitlines()) == 1


def test_usage_errors_and_an_unreachable_registry() -> None:
    both = kanal("http://127.0.0.1:9", "register", "s", "--schema", '"int"', "--schema-file", "x")
    assert both.exit_code == 2
    down = kanal_process("http://127.0.0.1:9", "list")
    assert down.returncode == 1
    assert "cannot reach the schema registry at http://127.0.0.1:9" in down.stderr
    assert "KANAL_SCHEMA_REGISTRY_URL" in down.stderr
    assert "Traceback" not in down.stderr
