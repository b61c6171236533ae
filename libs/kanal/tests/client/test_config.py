"""kafka-python style keywords into typed settings."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kanal.client.config import (
    ConsumerConfig,
    ProducerConfig,
    build_config,
    parse_acks,
    parse_bootstrap,
)
from kanal.errors import ConfigurationError
from kanal.types import HostPort


def test_bootstrap_accepts_a_string_or_a_list() -> None:
    expected = (HostPort("a", 1), HostPort("b", 9091))
    assert parse_bootstrap("a:1, b") == expected
    assert parse_bootstrap(["a:1", "b"]) == expected
    with pytest.raises(ConfigurationError):
        parse_bootstrap(" , ")


@given(st.lists(st.tuples(st.from_regex(r"[a-z][a-z0-9.-]{0,20}", fullmatch=True),
                          st.integers(1, 65535)), min_size=1, max_size=5))
def test_bootstrap_round_trips(servers: list[tuple[str, int]]) -> None:
    text = ",".join(f"{host}:{port}" for host, port in servers)
    assert parse_bootstrap(text) == tuple(HostPort(h, p) for h, p in servers)


@pytest.mark.parametrize(("acks", "wire"), [(0, 0), (1, 1), (-1, -1), ("all", -1), ("1", 1)])
def test_acks_spellings(acks: int | str, wire: int) -> None:
    assert parse_acks(acks) == wire


@pytest.mark.parametrize("acks", [2, "some", -2])
def test_bad_acks_are_refused(acks: int | str) -> None:
    with pytest.raises(ConfigurationError):
        parse_acks(acks)


def test_defaults_follow_kafka() -> None:
    config = build_config(ProducerConfig, {})
    assert (config.acks, config.linger_ms, config.batch_size) == (-1, 5, 16384)
    assert str(config.connection.bootstrap_servers[0]) == "localhost:9091"


def test_flat_keywords_reach_their_group_and_unknown_ones_are_refused() -> None:
    config = build_config(ConsumerConfig, {
        "bootstrap_servers": "h:1", "client_id": "me", "consumer_timeout_ms": None,
        "isolation_level": "read_committed", "api_version": (2, 0),
    })
    assert config.connection.client_id == "me"
    assert config.consumer_timeout_ms == math.inf
    assert config.isolation_level == 1
    with pytest.raises(ConfigurationError, match="transactional_id"):
        build_config(ProducerConfig, {"transactional_id": "tx"})
