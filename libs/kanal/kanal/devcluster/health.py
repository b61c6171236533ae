"""Readiness probes for dev-cluster services: gRPC health checks, DescribeCluster, and
`GET /` for the HTTP services (schema registry, connect).

The health check is called with raw bytes so that the `kanal` library does not depend on
`grpcio-health-checking` (a server-side package). The messages are tiny:

    HealthCheckRequest  { string service = 1; }          "" (all services) encodes to b""
    HealthCheckResponse { ServingStatus status = 1; }    0x08 <varint status>; b"" is UNKNOWN
"""

from __future__ import annotations

import json
import urllib.request
from http import HTTPStatus
from typing import cast

import grpc

from kanal.v1 import controller_pb2, controller_pb2_grpc

_HEALTH_CHECK_METHOD = "/grpc.health.v1.Health/Check"
HEALTH_UNKNOWN = 0
HEALTH_SERVING = 1
HEALTH_NOT_SERVING = 2
# The probe answered UNIMPLEMENTED: the service has no health endpoint.
HEALTH_NOT_IMPLEMENTED = -1
# Nothing answered (connection refused, deadline exceeded).
HEALTH_UNREACHABLE = -2

_STATUS_FIELD_TAG = 0x08  # field 1, wire type 0 (varint)
# Dev-cluster services are on loopback: never through an HTTP proxy from the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def decode_health_status(reply: bytes) -> int:
    """The status in a serialized HealthCheckResponse (last occurrence wins, as in protobuf)."""
    status = HEALTH_UNKNOWN
    position = 0
    while position < len(reply):
        tag = reply[position]
        position += 1
        value, position = _read_varint(reply, position)
        if tag == _STATUS_FIELD_TAG:
            status = value
        elif tag & 0x07 != 0:
            break  # not a varint field: not a HealthCheckResponse we understand
    return status


def _read_varint(data: bytes, position: int) -> tuple[int, int]:
    value = 0
    shift = 0
    while position < len(data):
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
    return value, position


def health_status(endpoint: str, timeout_s: float = 1.0) -> int:
    """The gRPC health status of the whole server at `endpoint` (host:port)."""
    with grpc.insecure_channel(endpoint) as channel:
        check = channel.unary_unary(
            _HEALTH_CHECK_METHOD, request_serializer=None, response_deserializer=None
        )
        try:
            reply = check(b"", timeout=timeout_s)
        except grpc.RpcError as error:
            # The raised error is also a grpc.Call (grpc's _InactiveRpcError); the stubs
            # cannot express that, hence the cast.
            if cast(grpc.Call, error).code() == grpc.StatusCode.UNIMPLEMENTED:
                return HEALTH_NOT_IMPLEMENTED
            return HEALTH_UNREACHABLE
    return decode_health_status(bytes(reply))


def describe_cluster(
    endpoint: str, timeout_s: float = 2.0
) -> controller_pb2.DescribeClusterResponse | None:
    """DescribeCluster from the controller at `endpoint`; None when it does not answer."""
    with grpc.insecure_channel(endpoint) as channel:
        stub = controller_pb2_grpc.ControllerStub(channel)
        try:
            return stub.DescribeCluster(controller_pb2.DescribeClusterRequest(), timeout=timeout_s)
        except grpc.RpcError:
            return None


def http_ready(url: str, timeout_s: float = 1.0) -> bool:
    """Whether `GET <url>/` answers 200 with a JSON object: the registry's and connect
    worker's readiness (the registry has read `_schemas` to its end; the worker has joined its
    group). Requiring the JSON object keeps another server that took the port (a metrics
    endpoint answers 200 to any path) from passing for the service."""
    try:
        with _DIRECT.open(url.rstrip("/") + "/", timeout=timeout_s) as answer:
            if int(answer.status) != HTTPStatus.OK:
                return False
            return isinstance(json.loads(answer.read()), dict)
    except (OSError, ValueError):
        # URLError and HTTPError (a 503 while loading) are OSErrors; JSONDecodeError is a
        # ValueError.
        return False
