"""Tracing off (no SDK provider in the process, no endpoint for the broker): clients keep no
tracer, records carry no trace header, and the broker exports nothing."""

from __future__ import annotations

import pytest
from kanal import Admin, Consumer, NewTopic, Producer
from kanal.devcluster.pytest_plugin import DevClusterFactory
from kanal.tracing import tracing_active
from kanal.tracing.grpc_client import client_interceptors
from kanal.tracing.grpc_server import server_interceptors
from kanal.tracing.http_server import http_server_middlewares

pytestmark = pytest.mark.integration


def test_nothing_is_traced_or_added_to_records_when_tracing_is_off(
        dev_cluster: DevClusterFactory) -> None:
    assert not tracing_active()
    assert server_interceptors() == []
    assert list(client_interceptors()) == []
    assert http_server_middlewares() == []
    cluster = dev_cluster(brokers=1)
    with Admin(bootstrap_servers=cluster.bootstrap) as admin:
        admin.create_topics([NewTopic("quiet", 1, 1)])
    with Producer(bootstrap_servers=cluster.bootstrap) as producer:
        assert producer._core.tracing is None
        producer.send("quiet", value=b"v", headers=[("k", b"1")]).get(30)
    with Consumer("quiet", bootstrap_servers=cluster.bootstrap, auto_offset_reset="earliest",
                  consumer_timeout_ms=15_000) as consumer:
        assert consumer._core.tracing is None
        record = next(consumer)
    assert list(record.headers) == [("k", b"1")]

