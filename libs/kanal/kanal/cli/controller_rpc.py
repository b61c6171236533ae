"""Calls to the active controller for the commands the SDK's Admin does not cover
(reassignments, rebalancing, decommissioning): found through the brokers and followed across
failovers exactly as Admin does it, one asyncio run per call."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from kanal.client.config import AdminConfig, build_config
from kanal.client.connection import ConnectionPool
from kanal.client.controller_client import ControllerClient
from kanal.client.metadata import MetadataManager
from kanal.errors import error_for_code

if TYPE_CHECKING:
    from kanal.v1.controller_pb2_grpc import ControllerAsyncStub as Stub

R = TypeVar("R")


def call(bootstrap: str, rpc: Callable[[Stub, float], Awaitable[R]],
         timeout_s: float = 30.0) -> R:
    """`rpc(stub, timeout)` on the active controller; a whole-answer error code raises its
    KanalError."""
    return asyncio.run(_call(bootstrap, rpc, timeout_s))


async def _call(bootstrap: str, rpc: Callable[[Stub, float], Awaitable[R]],
                timeout_s: float) -> R:
    config = build_config(AdminConfig, {"bootstrap_servers": bootstrap})
    conn = config.connection
    pool = ConnectionPool(conn.client_id)
    metadata = MetadataManager(pool, conn)
    client = ControllerClient(pool, metadata, timeout_s,
                              (conn.retry_backoff_ms, conn.retry_backoff_max_ms))
    try:
        response = await client.call(rpc)
    finally:
        await metadata.close()
        await pool.close()
    raise_for_answer(response)
    return response


def raise_for_answer(response: Any) -> None:
    code = int(getattr(response, "error_code", 0))
    if code:
        raise error_for_code(code, str(getattr(response, "error_message", "")))
