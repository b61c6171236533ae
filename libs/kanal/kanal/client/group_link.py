"""The way to a group's coordinator: FindCoordinator on any known broker, then the
GroupCoordinator stub of the broker it names, found again whenever the answer says the
coordinator moved (NOT_COORDINATOR), is loading, or the broker stopped answering.

Used by the consumer's membership, its commits, and `kanal group`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

import grpc

from kanal.client.connection import CHANNEL_OPTIONS
from kanal.client.retry import backoff_s, error_from_rpc
from kanal.errors import (
    CoordinatorLoadInProgress,
    CoordinatorNotAvailable,
    KanalError,
    NotCoordinator,
    RequestTimedOut,
    error_for_code,
)
from kanal.tracing.grpc_client import client_interceptors
from kanal.types import HostPort
from kanal.v1 import group_pb2, group_pb2_grpc

Answer = TypeVar("Answer")
if TYPE_CHECKING:  # the async stub type exists only in the generated .pyi
    from kanal.v1.group_pb2_grpc import GroupCoordinatorAsyncStub as Stub

COORDINATOR_MOVED_CODES = frozenset(
    {NotCoordinator.code, CoordinatorNotAvailable.code, CoordinatorLoadInProgress.code})
"""Answers after which the request is sent again, to the coordinator found anew."""

RPC_TIMEOUT_S = 15.0


class GroupLink:
    def __init__(self, bootstrap: Sequence[HostPort], group_id: str, *,
                 timeout_s: float = 30.0) -> None:
        self._bootstrap = list(bootstrap)
        self.group_id = group_id
        self._timeout_s = timeout_s
        self._channels: dict[HostPort, grpc.aio.Channel] = {}
        self._coordinator: HostPort | None = None

    def _stub(self, endpoint: HostPort) -> Stub:
        channel = self._channels.get(endpoint)
        if channel is None:
            # Coordinator calls (heartbeat, commit, offset fetch) get client spans when
            # tracing is on.
            channel = grpc.aio.insecure_channel(str(endpoint), options=CHANNEL_OPTIONS,
                                                interceptors=client_interceptors())
            self._channels[endpoint] = channel
        return group_pb2_grpc.GroupCoordinatorStub(channel)

    async def find(self) -> HostPort:
        """The coordinator's endpoint, asking each known broker in turn until one answers."""
        if self._coordinator is not None:
            return self._coordinator
        request = group_pb2.FindCoordinatorRequest(keys=[self.group_id])
        last: KanalError = CoordinatorNotAvailable("no broker answered FindCoordinator")
        for endpoint in self._bootstrap:
            try:
                answer = await self._stub(endpoint).FindCoordinator(request,
                                                                    timeout=RPC_TIMEOUT_S)
            except grpc.aio.AioRpcError as exc:
                last = error_from_rpc(exc)
                continue
            found = answer.coordinators[0]
            if found.error_code:
                last = error_for_code(found.error_code, found.error_message)
                continue
            address = HostPort(found.broker.endpoint.host, found.broker.endpoint.port)
            if address not in self._bootstrap:
                self._bootstrap.append(address)
            self._coordinator = address
            return address
        raise last

    async def call(self, send: Callable[[Stub], Awaitable[Answer]],
                   error_code: Callable[[Answer], int]) -> Answer:
        """Send to the coordinator; on a moved/loading coordinator or a dead broker, find it
        again and resend (with backoff) until the link's timeout. Other errors are the
        caller's to read in the answer."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout_s
        attempt = 0
        while True:
            attempt += 1
            try:
                endpoint = await self.find()
                answer = await send(self._stub(endpoint))
                code = error_code(answer)
                if code not in COORDINATOR_MOVED_CODES:
                    return answer
                failure: KanalError = error_for_code(code, "")
            except grpc.aio.AioRpcError as exc:
                failure = error_from_rpc(exc)
            except KanalError as exc:
                if exc.code not in COORDINATOR_MOVED_CODES and not exc.retriable:
                    raise
                failure = exc
            self._coordinator = None
            if loop.time() >= deadline:
                raise RequestTimedOut(
                    f"group {self.group_id!r}: no coordinator answered within "
                    f"{self._timeout_s} s (last: {failure})")
            await asyncio.sleep(backoff_s(attempt, 50, 1000))

    async def close(self) -> None:
        channels, self._channels = self._channels, {}
        for channel in channels.values():
            await channel.close(None)
