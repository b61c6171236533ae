"""Free loopback ports for child processes.

A port found free is handed to a child that binds it a few seconds later. Between the two,
another process asking the kernel for a free port can be given the same one; with test
processes running side by side that happens often enough to fail a run now and then. So a
process can be given a port range of its own (`KANAL_PORT_RANGE=low-high`, set per test
process by the pytest plugin): `free_port` then walks that range instead of asking the
kernel, and never hands out a port twice until the range wraps. Keep such a range outside
the kernel's ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`), which outgoing
connections take their local ports from.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator

from kanal.errors import ConfigurationError

PORT_RANGE_ENV = "KANAL_PORT_RANGE"

# Highest port `PortPlanner` walks to when looking for the next free port above a preference.
_MAX_PORT = 65535

_cursor_lock = threading.Lock()
_cursors: dict[str, Iterator[int]] = {}  # one walk per range spec, across every caller


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now: from this process's range when it has one (see
    the module's docstring), else from the kernel (the usual bind-to-0 race is accepted)."""
    ports = _range_cursor()
    if ports is not None:
        with _cursor_lock:
            for port in itertools.islice(ports, 65536):
                if port_is_free(host, port):
                    return port
        raise ConfigurationError(f"no free port left in {PORT_RANGE_ENV}")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _range_cursor() -> Iterator[int] | None:
    spec = os.environ.get(PORT_RANGE_ENV, "")
    if not spec:
        return None
    with _cursor_lock:
        if spec not in _cursors:
            try:
                low, high = (int(part) for part in spec.split("-", 1))
            except ValueError:
                raise ConfigurationError(
                    f"{PORT_RANGE_ENV} must be LOW-HIGH, e.g. 20000-25999, not {spec!r}"
                ) from None
            if not 1024 <= low <= high <= _MAX_PORT:
                raise ConfigurationError(f"{PORT_RANGE_ENV} {spec!r} is not a port range")
            _cursors[spec] = itertools.cycle(range(low, high + 1))
        return _cursors[spec]


def port_is_free(host: str, port: int) -> bool:
    """Whether a listener could bind host:port now.

    No SO_REUSEADDR/SO_REUSEPORT here: a gRPC server binds with SO_REUSEPORT, and a socket
    without the option cannot share its port, so a running service is seen as taken.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_for_port(host: str, port: int, timeout_s: float) -> bool:
    """Poll until something accepts TCP connections on host:port."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class PortPlanner:
    """Hands out distinct ports for one cluster before any of its processes starts.

    `exact` is for a port the user asked for (fail if taken); `near` walks upward from a
    preferred port to the first free one not already handed out; preference 0 means any
    free port from the kernel.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._taken: set[int] = set()

    def exact(self, port: int, *, what: str, hint: str) -> int:
        if port in self._taken or not port_is_free(self.host, port):
            raise ConfigurationError(f"port {port} for {what} is already in use; {hint}")
        self._taken.add(port)
        return port

    def near(self, preferred: int) -> int:
        if preferred == 0:
            return self._any_free()
        for port in range(preferred, _MAX_PORT + 1):
            if port not in self._taken and port_is_free(self.host, port):
                self._taken.add(port)
                return port
        return self._any_free()

    def _any_free(self) -> int:
        while True:
            port = free_port(self.host)
            if port not in self._taken:
                self._taken.add(port)
                return port
