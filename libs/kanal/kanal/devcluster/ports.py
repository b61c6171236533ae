"""Free loopback ports for child processes."""

from __future__ import annotations

import socket
import time

from kanal.errors import ConfigurationError

# Highest port `PortPlanner` walks to when looking for the next free port above a preference.
_MAX_PORT = 65535


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the usual bind-to-0 race is accepted)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


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
