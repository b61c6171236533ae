"""The controller continues the broker's traces: a broker stopped with SIGTERM while it leads
replicated partitions asks the controller for a controlled shutdown; with both exporting to
an in-test collector, the controller's server span is a child of the broker's client span."""

from __future__ import annotations

import signal
import time

import pytest
from kanal import Admin, NewTopic, Producer
from kanal.devcluster.pytest_plugin import DevClusterFactory

from .collector import OtlpCollector

pytestmark = pytest.mark.integration

METHOD = "kanal.v1.Controller/ControlledShutdown"


def test_controlled_shutdown_is_one_trace_across_broker_and_controller(
        dev_cluster: DevClusterFactory, collector: OtlpCollector) -> None:
    cluster = dev_cluster(brokers=2)
    with Admin(bootstrap_servers=cluster.bootstrap) as admin:
        # Two partitions, two replicas each: each broker leads one, with a follower in sync.
        admin.create_topics([NewTopic("orders", 2, 2)])
    with Producer(bootstrap_servers=cluster.bootstrap, acks="all") as producer:
        for partition in (0, 1):  # both leaders serving, both followers in sync
            producer.send("orders", value=b"o", partition=partition).get(30)
    cluster.kill("broker-1", signal.SIGTERM)
    deadline = time.monotonic() + 60
    while cluster.is_running("broker-1") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not cluster.is_running("broker-1")

    client = collector.wait_for(METHOD, service="kanal-broker")
    assert client.kind == 3  # SPAN_KIND_CLIENT
    # The broker may have asked more than once (it retries until its leaderships moved).
    clients = {s.span_id for s in collector.spans()
               if s.name == METHOD and s.service == "kanal-broker"}
    server = collector.wait_for(METHOD, service="kanal-controller", parents=clients)
    assert server.kind == 2  # SPAN_KIND_SERVER
    assert server.trace_id in {s.trace_id for s in collector.spans() if s.span_id in clients}
