"""The registry as a real child process on free loopback ports, for integration tests."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from kanal.devcluster.cluster import DevCluster

READY_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def etcd_address(cluster: DevCluster) -> str:
    (etcd,) = cluster.endpoints.of_kind("etcd")
    return etcd.address


@dataclass
class RegistryProcess:
    process: subprocess.Popen[bytes]
    port: int
    grpc_port: int
    metrics_port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, cluster: DevCluster, log_path: Path, *, lease_ttl_s: int = 5
              ) -> RegistryProcess:
        port, grpc_port, metrics_port = free_port(), free_port(), free_port()
        command = [
            sys.executable, "-m", "kanal_registry", "--port", str(port),
            "--grpc-port", str(grpc_port), "--metrics-port", str(metrics_port),
            "--bootstrap", cluster.bootstrap, "--etcd", etcd_address(cluster),
            "--cluster-id", cluster.shape.cluster_id, "--lease-ttl-s", str(lease_ttl_s),
            "--log-level", "INFO",
        ]
        with log_path.open("ab") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                       env={**os.environ, "PYTHONUNBUFFERED": "1"})
        started = cls(process, port, grpc_port, metrics_port, log_path)
        try:
            started.wait_ready()
        except BaseException:
            started.stop()
            raise
        return started

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the registry exited:\n{self.log_path.read_text()[-3000:]}")
            with contextlib.suppress(OSError), \
                    urllib.request.urlopen(self.url + "/", timeout=2) as answer:
                if answer.status == 200 and json.loads(answer.read()) == {}:
                    return
            time.sleep(0.2)
        raise TimeoutError(f"the registry never got ready:\n{self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self, grace_s: float = 10.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics",
                                    timeout=5) as answer:
            text: str = answer.read().decode()
            return text
