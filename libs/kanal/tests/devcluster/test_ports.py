"""`free_port` with a process port range (KANAL_PORT_RANGE): ports come from the range, in
turn, skipping taken ones; a malformed range is a clear error."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from kanal.devcluster.ports import PORT_RANGE_ENV, free_port
from kanal.errors import ConfigurationError


def test_ports_come_from_the_range_in_turn_and_skip_taken_ones(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PORT_RANGE_ENV, "31990-31999")
    first = free_port()
    busy = 31990 + (first - 31990 + 1) % 10  # the port the walk would give next
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", busy))
        taken.listen()
        following = [free_port() for _ in range(8)]
    assert all(31990 <= port <= 31999 for port in [first, *following])
    assert busy not in following
    assert len({first, *following}) == 9  # none handed out twice before the range wraps


@pytest.mark.parametrize("spec", ["nope", "30000", "40000-30000", "80-90", "1-x"])
def test_a_malformed_range_is_refused_clearly(monkeypatch: pytest.MonkeyPatch,
                                              spec: str) -> None:
    monkeypatch.setenv(PORT_RANGE_ENV, spec)
    with pytest.raises(ConfigurationError, match=PORT_RANGE_ENV):
        free_port()


def test_without_a_range_the_kernel_chooses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PORT_RANGE_ENV, raising=False)
    text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()
    low, high = (int(p) for p in text.split())
    assert low <= free_port() <= high
