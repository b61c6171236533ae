"""Fixtures of the consumer-group integration tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def fast_classic_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    """Brokers started afterwards wait 1 s for a first classic rebalance (not 3 s) and
    accept 0.5 s sessions (the tests use 2 s ones)."""
    monkeypatch.setenv("KANAL_BROKER_GROUP_INITIAL_REBALANCE_DELAY_MS", "1000")
    monkeypatch.setenv("KANAL_BROKER_GROUP_MIN_SESSION_TIMEOUT_MS", "500")
