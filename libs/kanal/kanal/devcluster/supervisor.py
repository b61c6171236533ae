"""Owning a dev cluster's processes for its lifetime: foreground, detached, and `dev down`.

The supervisor is the process that called `DevCluster.start()`. It writes
`<data_dir>/cluster.json` (see `endpoints.py`) once the cluster serves, blocks until SIGINT or
SIGTERM, stops the cluster in order and removes the file. Detached mode starts that same
supervisor as a new session (no terminal, output to logs/supervisor.log) and waits for the
file; `dev down` SIGTERMs the supervisor named in the file and waits for it to finish.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

from kanal.devcluster.cluster import DevCluster
from kanal.devcluster.endpoints import CLUSTER_FILE, ClusterEndpoints
from kanal.devcluster.process import leads_group, pid_alive, signal_group, tail
from kanal.errors import ConfigurationError, KanalTimeoutError

_POLL_S = 0.1
_WATCH_S = 1.0
SUPERVISOR_LOG = "supervisor.log"


class StopRequested(BaseException):
    """Raised in the main thread by SIGINT/SIGTERM; a BaseException so no handler eats it."""


def cluster_file(data_dir: Path) -> Path:
    return data_dir / CLUSTER_FILE


def run_until_signalled(
    cluster: DevCluster,
    on_ready: Callable[[ClusterEndpoints], None],
    on_exit: Callable[[str], None] = lambda _name: None,
) -> None:
    """Start `cluster`, publish cluster.json, serve until a signal, then stop everything."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        # Only the first signal interrupts; more Ctrl-C while stopping must not cut it short.
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        raise StopRequested

    for sig in previous:
        signal.signal(sig, request_stop)
    published = cluster_file(cluster.data_dir)
    try:
        cluster.start()
        endpoints = cluster.endpoints
        endpoints.write(published)
        on_ready(endpoints)
        _watch(cluster, endpoints, on_exit)
    except StopRequested:
        pass
    finally:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        cluster.stop()
        _remove_if_ours(published)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _watch(
    cluster: DevCluster,
    endpoints: ClusterEndpoints,
    on_exit: Callable[[str], None],
) -> None:
    """Block until a signal; report once each service that exits on its own."""
    reported: set[str] = set()
    while True:
        time.sleep(_WATCH_S)
        for service in endpoints.services:
            if service.name not in reported and not cluster.is_running(service.name):
                reported.add(service.name)
                on_exit(service.name)
            elif cluster.is_running(service.name):
                reported.discard(service.name)


def _remove_if_ours(path: Path) -> None:
    try:
        if ClusterEndpoints.read(path).supervisor_pid == os.getpid():
            path.unlink()
    except (OSError, ValueError, KeyError):
        pass


def running_cluster(data_dir: Path) -> ClusterEndpoints | None:
    """The cluster published in `data_dir` if its supervisor still runs (stale files removed)."""
    path = cluster_file(data_dir)
    try:
        endpoints = ClusterEndpoints.read(path)
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as error:
        raise ConfigurationError(f"{path} is not a Kanal cluster file: {error}") from None
    pid = endpoints.supervisor_pid
    if pid is None or not pid_alive(pid):
        return None
    return endpoints


def spawn_detached(argv: Sequence[str], data_dir: Path, timeout_s: float) -> ClusterEndpoints:
    """Run `argv` (a foreground `dev up`) as a detached supervisor; return once it serves."""
    existing = running_cluster(data_dir)
    if existing is not None:
        raise ConfigurationError(
            f"a dev cluster already runs from {data_dir} (supervisor pid "
            f"{existing.supervisor_pid}); stop it with: kanal dev down --data-dir {data_dir}"
        )
    cluster_file(data_dir).unlink(missing_ok=True)
    log_path = data_dir / "logs" / SUPERVISOR_LOG
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        # posix_spawn rather than Popen: the supervisor outlives this process, and a Popen
        # object for a child that is never waited on warns when collected.
        pid = os.posix_spawn(
            sys.executable,
            [sys.executable, *argv],
            os.environ,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, log_fd, 1),
                (os.POSIX_SPAWN_DUP2, log_fd, 2),
            ],
            setsid=True,
        )
    finally:
        os.close(log_fd)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        finished, status = os.waitpid(pid, os.WNOHANG)
        if finished:
            raise ConfigurationError(
                f"the dev cluster did not start (supervisor exit code "
                f"{os.waitstatus_to_exitcode(status)}); last lines of {log_path}:\n"
                f"{tail(log_path)}"
            )
        published = running_cluster(data_dir)
        if published is not None and published.supervisor_pid == pid:
            return published
        time.sleep(_POLL_S)
    signal_group(pid, signal.SIGTERM)
    raise KanalTimeoutError(
        f"the dev cluster did not start within {timeout_s:.0f}s; see {log_path}:\n{tail(log_path)}"
    )


def stop_published(data_dir: Path, timeout_s: float) -> ClusterEndpoints:
    """Stop the cluster described by `data_dir`/cluster.json: SIGTERM its supervisor, wait, and
    SIGKILL any service it left behind (a supervisor killed with -9 leaves them all)."""
    path = cluster_file(data_dir)
    try:
        endpoints = ClusterEndpoints.read(path)
    except FileNotFoundError:
        raise ConfigurationError(f"no dev cluster in {data_dir} (no {CLUSTER_FILE})") from None
    supervisor = endpoints.supervisor_pid
    if supervisor is not None and pid_alive(supervisor):
        os.kill(supervisor, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while pid_alive(supervisor) and time.monotonic() < deadline:
            time.sleep(_POLL_S)
    for service in endpoints.services:
        if service.pid is not None and pid_alive(service.pid) and leads_group(service.pid):
            signal_group(service.pid, signal.SIGKILL)
    path.unlink(missing_ok=True)
    return endpoints
