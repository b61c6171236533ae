"""A real Prometheus (Debian's `prometheus` package) as a child process scraping static
targets, and its instant-query API."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PrometheusServer:
    def __init__(self, workdir: Path, jobs: Mapping[str, Sequence[str]],
                 scrape_interval: str = "1s") -> None:
        binary = shutil.which("prometheus")
        assert binary, "prometheus is not installed (apt-get install -y prometheus)"
        workdir.mkdir(parents=True, exist_ok=True)
        config = {
            "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
            "scrape_configs": [{"job_name": job, "static_configs": [{"targets": list(targets)}]}
                               for job, targets in jobs.items()],
        }
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.address = f"127.0.0.1:{_free_port()}"
        self._log = (workdir / "prometheus.log").open("wb")
        self._process = subprocess.Popen(
            [binary, f"--config.file={workdir / 'prometheus.yml'}",
             f"--storage.tsdb.path={workdir / 'data'}", f"--web.listen-address={self.address}"],
            stdout=self._log, stderr=subprocess.STDOUT)

    def __enter__(self) -> PrometheusServer:
        self.wait_ready()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()

    def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self._process.poll() is None, "prometheus exited while starting"
            try:
                with urllib.request.urlopen(f"http://{self.address}/-/ready", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"prometheus on {self.address} is not ready")

    def query(self, expression: str) -> list[dict[str, Any]]:
        """The result vector of an instant query (raises on a PromQL error)."""
        url = f"http://{self.address}/api/v1/query?" + urllib.parse.urlencode(
            {"query": expression})
        with urllib.request.urlopen(url, timeout=10) as response:
            answer = json.load(response)
        assert answer["status"] == "success", answer
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result
