"""A connect worker as a real child process on free ports, and a small REST client."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kanal.devcluster.ports import free_port

PLUGINS = Path(__file__).parent / "plugins"
ROOT = Path(__file__).resolve().parents[4]


@dataclass
class Answer:
    status: int
    body: object

    def json_object(self) -> dict[str, object]:
        assert isinstance(self.body, dict), self.body
        return self.body


def call(url: str, method: str = "GET", body: object = None, raw: bytes | None = None,
         timeout_s: float = 60) -> Answer:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            text = response.read()
            return Answer(response.status, json.loads(text) if text else None)
    except urllib.error.HTTPError as error:
        text = error.read()
        return Answer(error.code, json.loads(text) if text else None)


@dataclass
class WorkerProcess:
    bootstrap: str
    log_path: Path
    extra: Sequence[str] = ()
    port: int = field(default_factory=free_port)
    grpc_port: int = field(default_factory=free_port)
    metrics_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60) -> WorkerProcess:
        env = {**os.environ, "PYTHONUNBUFFERED": "1",
               "PYTHONPATH": os.pathsep.join([str(PLUGINS), os.environ.get("PYTHONPATH", "")])}
        command = [
            sys.executable, "-m", "kanal_connect", "--bootstrap", self.bootstrap,
            "--port", str(self.port), "--grpc-port", str(self.grpc_port),
            "--metrics-port", str(self.metrics_port), "--plugin-module", "sample_connectors",
            "--offset-flush-interval-ms", "300", *self.extra,
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            env=env, cwd=ROOT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited: {self.log_path.read_text()[-3000:]}")
            try:
                if call(self.url + "/", timeout_s=2).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"worker not ready: {self.log_path.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 30) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        code = self.process.returncode
        self.process = None
        return code

    def get(self, path: str) -> Answer:
        return call(self.url + path)

    def send(self, method: str, path: str, body: object = None) -> Answer:
        return call(self.url + path, method, body)


def wait_until(predicate: object, timeout_s: float = 60, what: str = "condition") -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")
