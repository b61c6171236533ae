"""Calls to the active controller: found through any broker's Metadata answer, and followed
when a standby answers NOT_CONTROLLER with a hint (or without one: then metadata is asked
again after a pause, as an election may be under way)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc

from kanal.client.connection import ConnectionPool
from kanal.client.metadata import MetadataManager
from kanal.client.retry import backoff_s, error_from_rpc
from kanal.errors import KanalError, KanalTimeoutError, NotController
from kanal.types import HostPort
from kanal.v1 import common_pb2, controller_pb2_grpc

log = logging.getLogger(__name__)


_R = TypeVar("_R")
# The async stub type exists only in the generated .pyi, hence the string.
Call = Callable[["controller_pb2_grpc.ControllerAsyncStub", float], Awaitable[_R]]


class ControllerClient:
    def __init__(
        self, pool: ConnectionPool, metadata: MetadataManager, request_timeout_s: float,
        backoff_ms: tuple[int, int], first_try: HostPort | None = None,
    ) -> None:
        """`first_try`: a controller to ask before any broker is asked which is active."""
        self._pool = pool
        self._metadata = metadata
        self._timeout = request_timeout_s
        self._backoff = backoff_ms
        self._active: HostPort | None = first_try

    async def _find_active(self) -> HostPort:
        if self._active is None:
            snapshot = await self._metadata.refresh()
            if snapshot.controller is None:
                raise NotController("no active controller is known to the brokers")
            self._active = snapshot.controller
        return self._active

    async def call(self, call: Call[_R], timeout_s: float | None = None) -> _R:
        """Run `call(stub, rpc_timeout)` on the active controller, following redirects and
        retrying retriable failures until `timeout_s` (request_timeout_ms by default)."""
        deadline = time.monotonic() + (timeout_s or self._timeout)
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KanalTimeoutError("the active controller did not answer in time")
            try:
                endpoint = await self._find_active()
                response = await call(self._pool.controller(endpoint), remaining)
                hint = _redirect(response)
                if hint is None:
                    return response
                raise hint
            except grpc.aio.AioRpcError as exc:
                error: KanalError = error_from_rpc(exc)
            except KanalError as exc:
                error = exc
            if not error.retriable:
                raise error
            log.debug("controller call failed (attempt %d): %s", attempt, error)
            if isinstance(error, _Redirect):
                self._active = error.endpoint
                continue
            self._active = None
            pause = backoff_s(attempt, *self._backoff)
            if time.monotonic() + pause >= deadline:
                raise error
            await asyncio.sleep(pause)


class _Redirect(NotController):
    """A standby named the active controller."""

    def __init__(self, endpoint: HostPort | None) -> None:
        super().__init__(f"not the active controller; active: {endpoint}")
        self.endpoint = endpoint


def _redirect(response: object) -> NotController | None:
    has_field = getattr(response, "HasField", None)
    if has_field is None:
        return None
    try:
        if not has_field("not_controller"):
            return None
    except ValueError:  # a response type without the hint (DescribeTopics)
        return None
    active: common_pb2.ControllerInfo = response.not_controller.active  # type: ignore[attr-defined]
    if active.endpoint.port:
        return _Redirect(HostPort(active.endpoint.host, active.endpoint.port))
    return NotController("no active controller right now")
