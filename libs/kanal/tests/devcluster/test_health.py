from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kanal.devcluster.health import (
    HEALTH_NOT_IMPLEMENTED,
    HEALTH_SERVING,
    HEALTH_UNKNOWN,
    HEALTH_UNREACHABLE,
    decode_health_status,
    describe_cluster,
    health_status,
)
from kanal.devcluster.ports import free_port


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


@given(st.integers(min_value=0, max_value=2**31))
def test_status_decodes_from_its_protobuf_encoding(status: int) -> None:
    assert decode_health_status(b"\x08" + _varint(status)) == status


def test_empty_reply_is_unknown() -> None:
    assert decode_health_status(b"") == HEALTH_UNKNOWN


@given(st.binary(max_size=32))
def test_decoding_garbage_never_raises(reply: bytes) -> None:
    decode_health_status(reply)


@pytest.fixture
def bare_grpc_server() -> Iterator[str]:
    """A real gRPC server with no services: every method is UNIMPLEMENTED."""
    server = grpc.server(ThreadPoolExecutor(max_workers=1))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(None).wait()


def test_server_without_health_service(bare_grpc_server: str) -> None:
    assert health_status(bare_grpc_server) == HEALTH_NOT_IMPLEMENTED
    assert describe_cluster(bare_grpc_server) is None


def test_nothing_listening_is_unreachable() -> None:
    status = health_status(f"127.0.0.1:{free_port()}", timeout_s=0.5)
    assert status == HEALTH_UNREACHABLE
    assert status != HEALTH_SERVING
