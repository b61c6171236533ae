"""One service of a dev cluster as a child process: started, signalled and stopped as a group.

Each child runs in its own session, so it is the leader of its own process group: Ctrl-C in
the terminal reaches only the supervisor (which then stops the children in order), and a
signal sent to the group also reaches anything the service forked.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_GRACE_S = 10.0


def tail(path: Path, lines: int = 20) -> str:
    """The last `lines` lines of a log file ('' when there is none)."""
    try:
        with open(path, "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - 16_384))
            text = log.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def signal_group(pid: int, sig: int) -> bool:
    """Signal the process group led by `pid`; False when it is already gone."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


def pid_alive(pid: int) -> bool:
    """Whether `pid` runs; a zombie (exited, not yet reaped by its parent) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        # /proc/<pid>/stat is "pid (comm) state ..."; comm may hold spaces, so split after ')'.
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


def leads_group(pid: int) -> bool:
    """Whether `pid` is a process-group leader, as every dev-cluster child is (its own session).

    Checked before signalling a group by a pid read from a file, so that a recycled pid of an
    unrelated process is left alone.
    """
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


@dataclass
class ServiceProcess:
    """A named command line whose output goes to `log_path`."""

    name: str
    argv: Sequence[str]
    log_path: Path
    env: dict[str, str] | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def start(self) -> None:
        if self.running:
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                list(self.argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=self.env,
            )

    def send(self, sig: int) -> None:
        """Signal the whole process group of the service (no wait)."""
        if self.process is not None and self.running:
            signal_group(self.process.pid, sig)

    def wait(self, timeout_s: float) -> bool:
        """Wait for exit; True when the process has exited."""
        if self.process is None:
            return True
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return True

    def log_tail(self, lines: int = 20) -> str:
        return tail(self.log_path, lines)


def stop_together(services: Iterable[ServiceProcess], grace_s: float = DEFAULT_GRACE_S) -> None:
    """SIGTERM every service at once, wait up to `grace_s`, then SIGKILL the stragglers.

    Services of one tier (all brokers) stop in parallel so that the grace periods do not add up.
    """
    group = [service for service in services if service.running]
    for service in group:
        service.send(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for service in group:
        if not service.wait(max(0.0, deadline - time.monotonic())):
            service.send(signal.SIGKILL)
            service.wait(5.0)
    # Reap anything the services forked and left in their groups.
    for service in group:
        if service.pid is not None:
            signal_group(service.pid, signal.SIGKILL)
