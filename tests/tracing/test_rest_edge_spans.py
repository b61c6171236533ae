"""The schema registry and the connect worker continue their callers' traces: with both
exporting to an in-test collector, a REST call and a gRPC call carrying a W3C `traceparent`
each yield a SERVER span whose parent is the caller's span, and a schema registered over
REST is written to `_schemas` under that REST span."""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.request

import grpc
import pytest
from kanal.devcluster.pytest_plugin import DevClusterFactory
from kanal.v1 import connect_pb2, connect_pb2_grpc, registry_pb2, registry_pb2_grpc

from .collector import OtlpCollector

pytestmark = pytest.mark.integration

SERVER = 2  # SPAN_KIND_SERVER
REGISTRY_JSON = "application/vnd.schemaregistry.v1+json"


class CallerSpan:
    """A span of the (untraced) test process, named only by the ids it sends."""

    def __init__(self) -> None:
        self.trace_id = random.getrandbits(128) | 1
        self.span_id = random.getrandbits(64) | 1

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id:032x}-{self.span_id:016x}-01"


def _http(method: str, url: str, caller: CallerSpan | None, body: object = None,
          content_type: str = "application/json") -> int:
    headers = {"Content-Type": content_type}
    if caller is not None:
        headers["traceparent"] = caller.traceparent
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_registry_rest_and_grpc_calls_continue_the_callers_trace(
        dev_cluster: DevClusterFactory, collector: OtlpCollector) -> None:
    cluster = dev_cluster(brokers=1, registries=1)
    caller = CallerSpan()
    status = _http("POST", f"{cluster.registry_url}/subjects/traced-value/versions", caller,
                   {"schema": json.dumps({"type": "string"})}, REGISTRY_JSON)
    assert status == 200

    rest = collector.wait_for("POST /subjects/{subject}/versions", caller.trace_id,
                              service="kanal-registry", parents=[caller.span_id])
    assert rest.kind == SERVER
    assert rest.attributes["http.request.method"] == "POST"
    assert rest.attributes["http.route"] == "/subjects/{subject}/versions"
    assert rest.attributes["url.path"] == "/subjects/traced-value/versions"
    assert rest.attributes["http.response.status_code"] == 200
    # The schema's record, produced while the REST span was current, is in the same trace.
    collector.wait_for("create _schemas", caller.trace_id, service="kanal-registry",
                       parents=[rest.span_id])

    registry = cluster.endpoints.registries[0]
    grpc_caller = CallerSpan()
    with grpc.insecure_channel(f"{registry.host}:{registry.grpc_port}") as channel:
        answer = registry_pb2_grpc.SchemaRegistryStub(channel).ListSubjects(
            registry_pb2.ListSubjectsRequest(), timeout=30,
            metadata=(("traceparent", grpc_caller.traceparent),))
    assert "traced-value" in answer.subjects
    served = collector.wait_for("kanal.v1.SchemaRegistry/ListSubjects", grpc_caller.trace_id,
                                service="kanal-registry", parents=[grpc_caller.span_id])
    assert served.kind == SERVER


def test_connect_rest_and_grpc_calls_continue_the_callers_trace(
        dev_cluster: DevClusterFactory, collector: OtlpCollector) -> None:
    cluster = dev_cluster(brokers=1, connect_workers=1)
    caller = CallerSpan()
    assert _http("GET", f"{cluster.connect_url}/connectors/nobody/status", caller) == 404
    rest = collector.wait_for("GET /connectors/{name}/status", caller.trace_id,
                              service="kanal-connect", parents=[caller.span_id])
    assert rest.kind == SERVER
    assert rest.attributes["http.route"] == "/connectors/{name}/status"
    assert rest.attributes["http.response.status_code"] == 404

    worker = cluster.endpoints.connect_workers[0]
    grpc_caller = CallerSpan()
    with grpc.insecure_channel(f"{worker.host}:{worker.grpc_port}") as channel:
        connect_pb2_grpc.ConnectStub(channel).ListConnectors(
            connect_pb2.ListConnectorsRequest(), timeout=30,
            metadata=(("traceparent", grpc_caller.traceparent),))
    served = collector.wait_for("kanal.v1.Connect/ListConnectors", grpc_caller.trace_id,
                                service="kanal-connect", parents=[grpc_caller.span_id])
    assert served.kind == SERVER

    # A call without a traceparent starts a trace of its own at the edge.
    assert _http("GET", f"{cluster.connect_url}/connectors", None) == 200
    root = collector.wait_for("GET /connectors", service="kanal-connect", parents=[0])
    assert root.trace_id not in (caller.trace_id, grpc_caller.trace_id)


def test_a_write_forwarded_to_the_primary_stays_in_the_callers_trace(
        dev_cluster: DevClusterFactory, collector: OtlpCollector) -> None:
    cluster = dev_cluster(brokers=1, registries=2)
    callers = {}
    # One of the two instances is not the primary and forwards its write.
    for number, registry in enumerate(cluster.endpoints.registries):
        caller = callers[registry.name] = CallerSpan()
        status = _http("POST", f"{registry.url}/subjects/forwarded-{number}/versions", caller,
                       {"schema": json.dumps({"type": "string"})}, REGISTRY_JSON)
        assert status == 200

    forwarding = collector.wait_for("POST", service="kanal-registry")
    assert forwarding.kind == 3  # SPAN_KIND_CLIENT
    assert forwarding.trace_id in {c.trace_id for c in callers.values()}
    received = collector.wait_for("POST /subjects/{subject}/versions", forwarding.trace_id,
                                  service="kanal-registry", parents=[forwarding.span_id])
    assert received.kind == SERVER
    # ... and the forwarding call was made under the first instance's REST span.
    collector.wait_for("POST /subjects/{subject}/versions", forwarding.trace_id,
                       service="kanal-registry", span_id=forwarding.parent_span_id)
