"""An etcd server (Debian's `etcd` binary) as a child process on loopback."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from kanal.devcluster.ports import free_port, wait_for_port
from kanal.errors import ConfigurationError

# Where to look for etcd: $KANAL_ETCD (an explicit binary, also how tests simulate a machine
# without etcd), else $PATH, else Debian's location.
ETCD_ENV = "KANAL_ETCD"
ETCD_INSTALL_HINT = "run scripts/setup.sh, or: sudo apt-get install etcd-server"


def find_etcd_binary() -> str | None:
    explicit = os.environ.get(ETCD_ENV)
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    found = shutil.which("etcd")
    if found:
        return found
    return "/usr/bin/etcd" if Path("/usr/bin/etcd").exists() else None


def etcd_binary() -> str:
    path = find_etcd_binary()
    if path is None:
        raise ConfigurationError(f"etcd is not installed: {ETCD_INSTALL_HINT}")
    return path


@dataclass
class EtcdProcess:
    """One single-member etcd. `start()` waits until it answers on its client port."""

    data_dir: Path
    host: str = "127.0.0.1"
    client_port: int = 0
    peer_port: int = 0
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.client_port}"

    def start(self, timeout_s: float = 20.0) -> None:
        self.client_port = self.client_port or free_port(self.host)
        self.peer_port = self.peer_port or free_port(self.host)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_path or self.data_dir.parent / f"{self.data_dir.name}.log"
        client = f"http://{self.host}:{self.client_port}"
        peer = f"http://{self.host}:{self.peer_port}"
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    etcd_binary(),
                    "--name",
                    "kanal-etcd",
                    "--data-dir",
                    str(self.data_dir),
                    "--listen-client-urls",
                    client,
                    "--advertise-client-urls",
                    client,
                    "--listen-peer-urls",
                    peer,
                    "--initial-advertise-peer-urls",
                    peer,
                    "--initial-cluster",
                    f"kanal-etcd={peer}",
                    "--log-level",
                    "warn",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if not wait_for_port(self.host, self.client_port, timeout_s):
            self.stop()
            raise ConfigurationError(f"etcd did not start on {client}; see {log_path}")

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` (kill -9 by default) without waiting: for fault tests."""
        if self.running and self.process is not None:
            self.process.send_signal(sig)

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
