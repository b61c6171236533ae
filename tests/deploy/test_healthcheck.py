"""`python -m kanal.healthcheck HOST:PORT`, the containers' health command, against a real
gRPC server running the standard health service."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer


async def _healthcheck(address: str) -> int:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kanal.healthcheck", "--timeout", "5", address,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    return await process.wait()


@pytest.fixture
async def health_server() -> AsyncIterator[tuple[str, HealthServicer]]:
    server = grpc.aio.server()
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}", health
    finally:
        await server.stop(None)


async def test_exit_status_follows_the_serving_status(
    health_server: tuple[str, HealthServicer]
) -> None:
    address, health = health_server
    await health.set("", health_pb2.HealthCheckResponse.SERVING)
    assert await _healthcheck(address) == 0
    await health.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
    assert await _healthcheck(address) == 1
    await health.enter_graceful_shutdown()
    assert await _healthcheck(address) == 1


async def test_unhealthy_without_a_health_service() -> None:
    server = grpc.aio.server()
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        assert await _healthcheck(f"127.0.0.1:{port}") == 1
    finally:
        await server.stop(None)


async def test_unhealthy_when_nothing_listens() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert await _healthcheck(f"127.0.0.1:{port}") == 1


async def test_usage_error_without_an_address() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kanal.healthcheck",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    assert await process.wait() == 2
