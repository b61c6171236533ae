"""helm/kanal/files/node_zone.py, the brokers' rack init container, against a local HTTPS
server answering like the Kubernetes API (GET /api/v1/nodes/<name>, bearer token, cluster
CA): the node's zone label ends up in the rack file the broker's start command reads."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from .chart_render import CHART

SCRIPT = CHART / "files" / "node_zone.py"
TOKEN = "test-token"
ZONE_LABEL = "topology.kubernetes.io/zone"
NODES = {
    "node-a": {ZONE_LABEL: "eu-west-1a", "kubernetes.io/hostname": "node-a"},
    "node-bare": {"kubernetes.io/hostname": "node-bare"},
}


class _FakeApi(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        name = self.path.removeprefix("/api/v1/nodes/")
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._answer(401, {"kind": "Status", "code": 401})
        elif name not in NODES:
            self._answer(404, {"kind": "Status", "code": 404})
        else:
            self._answer(200, {"kind": "Node", "metadata": {"name": name, "labels": NODES[name]}})

    def _answer(self, status: int, body: dict[str, object]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A TLS server on 127.0.0.1 and a service-account dir holding its CA and the token."""
    account = tmp_path / "serviceaccount"
    account.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(tmp_path / "key.pem"), "-out", str(account / "ca.crt")],
        check=True, capture_output=True, timeout=60)
    (account / "token").write_text(TOKEN + "\n")
    server = HTTPServer(("127.0.0.1", 0), _FakeApi)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(account / "ca.crt", tmp_path / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], account
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _lookup(api: tuple[int, Path], node: str, rack_file: Path) -> subprocess.CompletedProcess[str]:
    port, account = api
    env = {**os.environ, "KUBERNETES_SERVICE_HOST": "127.0.0.1",
           "KUBERNETES_SERVICE_PORT": str(port), "SERVICE_ACCOUNT_DIR": str(account),
           "NODE_NAME": node, "NODE_LABEL": ZONE_LABEL, "RACK_FILE": str(rack_file)}
    return subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_rack_is_the_nodes_zone(api: tuple[int, Path], tmp_path: Path) -> None:
    rack = tmp_path / "rack"
    result = _lookup(api, "node-a", rack)
    assert result.returncode == 0, result.stderr
    assert rack.read_text() == "eu-west-1a"


def test_node_without_a_zone_gives_no_rack(api: tuple[int, Path], tmp_path: Path) -> None:
    rack = tmp_path / "rack"
    assert _lookup(api, "node-bare", rack).returncode == 0
    assert rack.read_text() == ""


def test_refused_lookup_fails_the_pod_start(api: tuple[int, Path], tmp_path: Path) -> None:
    rack = tmp_path / "rack"
    result = _lookup(api, "node-unknown", rack)
    assert result.returncode != 0
    assert "404" in result.stderr
    assert not rack.exists()
