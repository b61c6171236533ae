"""The broker's channel to the active controller, found in the metadata cache (etcd's
`controller/leader`) and replaced when another controller takes over."""

from __future__ import annotations

import grpc
from kanal.errors import NotController
from kanal.tracing.grpc_client import client_interceptors
from kanal.v1 import controller_pb2_grpc

from kanal_broker.metadata_cache import MetadataCache


class ControllerLink:
    def __init__(self, cache: MetadataCache) -> None:
        self._cache = cache
        self._target = ""
        self._channel: grpc.aio.Channel | None = None
        self._stub: controller_pb2_grpc.ControllerAsyncStub | None = None

    async def stub(self) -> controller_pb2_grpc.ControllerAsyncStub:
        """A stub for the active controller; NotController while none is known."""
        active = self._cache.controller
        if active is None:
            raise NotController("no active controller is known")
        target = f"{active.lease.host}:{active.lease.port}"
        if target != self._target or self._stub is None:
            await self.close()
            # Traced (when tracing is on): ISR changes and controlled shutdown are rare and
            # worth seeing as the broker-to-controller traces they are.
            self._channel = grpc.aio.insecure_channel(target,
                                                      interceptors=client_interceptors())
            self._stub = controller_pb2_grpc.ControllerStub(self._channel)
            self._target = target
        return self._stub

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close(None)
        self._channel = None
        self._stub = None
        self._target = ""
