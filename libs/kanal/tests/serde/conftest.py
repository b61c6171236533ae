"""Serde tests against a real schema registry (the `registry_cluster` fixture of
kanal.devcluster.pytest_plugin): a client per test, and names no other test uses."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient as ConfluentRegistry
from kanal.devcluster.cluster import DevCluster
from kanal.serde import SchemaRegistryClient

_counter = itertools.count()

Namer = Callable[[str], str]


@pytest.fixture
def registry(registry_cluster: DevCluster) -> Iterator[SchemaRegistryClient]:
    with SchemaRegistryClient(registry_cluster.registry_url) as client:
        yield client


@pytest.fixture
def unique(request: pytest.FixtureRequest) -> Namer:
    """`unique("orders")` -> a topic or subject name no other test of the session uses."""
    test = request.node.name.split("[")[0].removeprefix("test_")[:30]
    return lambda base: f"{base}-{test}-{next(_counter)}"


@pytest.fixture
def confluent(registry_cluster: DevCluster) -> Iterator[ConfluentRegistry]:
    """confluent-kafka's own registry client, pointed at our registry."""
    client = ConfluentRegistry({"url": registry_cluster.registry_url})
    try:
        yield client
    finally:
        client.__exit__()  # type: ignore[no-untyped-call]
