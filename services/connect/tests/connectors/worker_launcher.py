"""A connect worker (`python -m kanal_connect`) as a child process, for the end-to-end test
of the bundled connectors; REST calls with the standard library."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from kanal.devcluster.ports import free_port


def rest(url: str, method: str = "GET", body: object = None) -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, json.loads(text) if text else None


class Worker:
    def __init__(self, bootstrap: str, log_path: Path, flush_interval_ms: int = 300) -> None:
        self.bootstrap = bootstrap
        self.flush_interval_ms = flush_interval_ms
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 60) -> Worker:
        command = [sys.executable, "-m", "kanal_connect", "--bootstrap", self.bootstrap,
                   "--port", str(self.port), "--grpc-port", "0", "--metrics-port", "0",
                   "--offset-flush-interval-ms", str(self.flush_interval_ms)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("worker exited: " + self.log_tail())
            try:
                if rest(self.url + "/")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError("worker not ready: " + self.log_tail())

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def wait_for(predicate: object, what: str, timeout_s: float = 90) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")
