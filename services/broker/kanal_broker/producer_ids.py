"""InitProducerId for idempotent producers: ids handed out from blocks the controller
allocates (AllocateProducerIds), as Kafka's ProducerIdManager does since KIP-730.

A block is used up before the next is asked for; a restarted broker asks for a fresh block,
so an id is never handed out twice (the unused rest of a block is simply skipped).
"""

from __future__ import annotations

import asyncio
import time

import grpc
from kanal.errors import (
    InvalidRequest,
    KanalError,
    NotController,
    RequestTimedOut,
    error_for_code,
)
from kanal.v1 import broker_pb2, common_pb2, controller_pb2

from kanal_broker.metadata_cache import MetadataCache
from kanal_broker.replication.controller_link import ControllerLink

_RETRY_S = 0.2
_RPC_TIMEOUT_S = 5.0


class ProducerIds:
    def __init__(self, cache: MetadataCache, *, broker_id: int,
                 allocation_timeout_s: float = 10.0) -> None:
        self._link = ControllerLink(cache)
        self._broker_id = broker_id
        self._timeout_s = allocation_timeout_s
        self._next = 0
        self._end = 0
        self._lock = asyncio.Lock()

    async def init_producer_id(self, request: broker_pb2.InitProducerIdRequest
                               ) -> broker_pb2.InitProducerIdResponse:
        try:
            if request.transactional_id:
                raise InvalidRequest("transactions are not supported: leave transactional_id "
                                     "empty")
            producer_id = await self.next_id()
        except KanalError as exc:
            return broker_pb2.InitProducerIdResponse(
                error_code=common_pb2.ErrorCode.ValueType(exc.code), error_message=exc.message,
                producer_id=-1, producer_epoch=-1)
        return broker_pb2.InitProducerIdResponse(producer_id=producer_id, producer_epoch=0)

    async def next_id(self) -> int:
        async with self._lock:
            if self._next >= self._end:
                self._next, self._end = await self._allocate()
            producer_id = self._next
            self._next += 1
            return producer_id

    async def _allocate(self) -> tuple[int, int]:
        """(first, end) of a new block; asks until the controller answers or time is up."""
        deadline = time.monotonic() + self._timeout_s
        request = controller_pb2.AllocateProducerIdsRequest(broker_id=self._broker_id)
        last: KanalError | None = None
        while time.monotonic() < deadline:
            try:
                stub = await self._link.stub()
                reply = await stub.AllocateProducerIds(request, timeout=_RPC_TIMEOUT_S)
            except NotController as exc:
                last = exc
            except grpc.aio.AioRpcError as exc:
                last = RequestTimedOut(f"controller unreachable: {exc.details()}")
                await self._link.close()
            else:
                if reply.error_code == 0 and reply.count > 0:
                    return reply.first_producer_id, reply.first_producer_id + reply.count
                last = error_for_code(reply.error_code, reply.error_message)
            await asyncio.sleep(_RETRY_S)
        raise RequestTimedOut(f"no producer-id block from the controller: {last}")

    async def close(self) -> None:
        await self._link.close()
