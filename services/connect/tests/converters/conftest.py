"""Converter tests against a real schema registry (the module-scoped `registry_cluster`
fixture of kanal.devcluster.pytest_plugin) and names no other test uses."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient as ConfluentRegistry
from kanal.devcluster.cluster import DevCluster
from kanal.serde import SchemaRegistryClient

# The end-to-end test runs a worker process as the worker tests do (worker_process.py).
sys.path.insert(0, str(Path(__file__).parents[1] / "worker"))

_counter = itertools.count()

Namer = Callable[[str], str]


@pytest.fixture
def registry_url(registry_cluster: DevCluster) -> str:
    return registry_cluster.registry_url


@pytest.fixture(scope="module")
def registry_cluster_url(registry_cluster: DevCluster) -> str:
    """The registry's URL for module-scoped fixtures."""
    return registry_cluster.registry_url


@pytest.fixture
def registry(registry_url: str) -> Iterator[SchemaRegistryClient]:
    with SchemaRegistryClient(registry_url) as client:
        yield client


@pytest.fixture
def unique(request: pytest.FixtureRequest) -> Namer:
    """`unique("orders")` -> a topic name no other test of the session uses."""
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
