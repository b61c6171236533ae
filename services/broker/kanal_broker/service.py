"""The `kanal.v1.Broker` gRPC servicer: wiring from RPCs to handlers, plus the edge concerns
every RPC shares - metrics, request-level errors as gRPC statuses, and bugs as INTERNAL
(logged; the server keeps serving)."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import TypeVar

import grpc
from kanal.errors import KanalError, UnknownServerError
from kanal.grpc_status import grpc_status, trailing_metadata
from kanal.v1 import broker_pb2, broker_pb2_grpc

from kanal_broker.handlers.fetch import FetchHandler
from kanal_broker.handlers.list_offsets import ListOffsetsHandler
from kanal_broker.handlers.metadata import describe_cluster
from kanal_broker.handlers.offset_for_leader_epoch import OffsetForLeaderEpochHandler
from kanal_broker.handlers.outcome import first_error
from kanal_broker.handlers.produce import ProduceHandler
from kanal_broker.handlers.produce_stream import produce_stream
from kanal_broker.handlers.replica_fetch import replica_fetch_stream
from kanal_broker.metadata_cache import MetadataCache
from kanal_broker.metrics import BrokerMetrics
from kanal_broker.producer_ids import ProducerIds
from kanal_broker.replica_manager import ReplicaManager

log = logging.getLogger(__name__)

Response = TypeVar("Response")
Context = grpc.aio.ServicerContext[object, object]

# Messages of one ProduceStream handled at once; the stream stops reading beyond it.
STREAM_IN_FLIGHT = 64


def _produce_codes(response: broker_pb2.ProduceResponse) -> Iterable[int]:
    return (p.error_code for t in response.topics for p in t.partitions)


def _fetch_codes(response: broker_pb2.FetchResponse) -> Iterable[int]:
    return (p.error_code for t in response.topics for p in t.partitions)


def _list_codes(response: broker_pb2.ListOffsetsResponse) -> Iterable[int]:
    return (p.error_code for t in response.topics for p in t.partitions)


def _epoch_codes(response: broker_pb2.OffsetForLeaderEpochResponse) -> Iterable[int]:
    return (p.error_code for t in response.topics for p in t.partitions)


def _metadata_codes(response: broker_pb2.MetadataResponse) -> Iterable[int]:
    return (t.error_code for t in response.topics)


class BrokerService(broker_pb2_grpc.BrokerServicer):
    def __init__(self, *, replicas: ReplicaManager, cache: MetadataCache,
                 metrics: BrokerMetrics, cluster_id: str, message_max_bytes: int,
                 producer_ids: ProducerIds) -> None:
        self._cache = cache
        self._producer_ids = producer_ids
        self._metrics = metrics
        self._cluster_id = cluster_id
        self._produce = ProduceHandler(replicas, metrics, message_max_bytes=message_max_bytes)
        self._fetch = FetchHandler(replicas, metrics)
        self._list_offsets = ListOffsetsHandler(replicas)
        self._epochs = OffsetForLeaderEpochHandler(replicas)

    async def Produce(
            self, request: broker_pb2.ProduceRequest,
            context: Context) -> broker_pb2.ProduceResponse:
        return await self._serve("Produce", context, self._produce.produce(request),
                                 _produce_codes)

    async def Fetch(
            self, request: broker_pb2.FetchRequest,
            context: Context) -> broker_pb2.FetchResponse:
        return await self._serve("Fetch", context, self._fetch.fetch(request), _fetch_codes)

    async def ListOffsets(
            self, request: broker_pb2.ListOffsetsRequest,
            context: Context) -> broker_pb2.ListOffsetsResponse:
        return await self._serve("ListOffsets", context,
                                 self._list_offsets.list_offsets(request), _list_codes)

    async def OffsetForLeaderEpoch(
            self, request: broker_pb2.OffsetForLeaderEpochRequest,
            context: Context) -> broker_pb2.OffsetForLeaderEpochResponse:
        return await self._serve("OffsetForLeaderEpoch", context,
                                 self._epochs.answer(request), _epoch_codes)

    async def Metadata(
            self, request: broker_pb2.MetadataRequest,
            context: Context) -> broker_pb2.MetadataResponse:
        async def describe() -> broker_pb2.MetadataResponse:
            return describe_cluster(self._cache, self._cluster_id, request)

        return await self._serve("Metadata", context, describe(), _metadata_codes)

    async def InitProducerId(
            self, request: broker_pb2.InitProducerIdRequest,
            context: Context) -> broker_pb2.InitProducerIdResponse:
        return await self._serve("InitProducerId", context,
                                 self._producer_ids.init_producer_id(request),
                                 lambda response: (response.error_code,))

    async def ProduceStream(
            self, request_iterator: AsyncIterator[broker_pb2.ProduceRequest],
            context: Context) -> AsyncIterator[broker_pb2.ProduceResponse]:
        def answered(response: broker_pb2.ProduceResponse, seconds: float) -> None:
            self._metrics.request("ProduceStream", first_error(_produce_codes(response)),
                                  seconds)

        try:
            async for response in produce_stream(request_iterator, self._produce,
                                                 in_flight=STREAM_IN_FLIGHT,
                                                 on_answer=answered):
                yield response
        except Exception as exc:
            await self._fail("ProduceStream", context, exc, 0.0)

    async def ReplicaFetch(
            self, request_iterator: AsyncIterator[broker_pb2.FetchRequest],
            context: Context) -> AsyncIterator[broker_pb2.FetchResponse]:
        def answered(response: broker_pb2.FetchResponse, seconds: float) -> None:
            self._metrics.request("ReplicaFetch", first_error(_fetch_codes(response)), seconds)

        try:
            async for response in replica_fetch_stream(request_iterator, self._fetch,
                                                       on_answer=answered):
                yield response
        except Exception as exc:
            await self._fail("ReplicaFetch", context, exc, 0.0)

    async def _serve(self, api: str, context: Context, work: Awaitable[Response],
                     codes: Callable[[Response], Iterable[int]]) -> Response:
        started = time.monotonic()
        try:
            response = await work
        except Exception as exc:
            await self._fail(api, context, exc, time.monotonic() - started)
            raise  # not reached: _fail aborts the RPC
        self._metrics.request(api, first_error(codes(response)), time.monotonic() - started)
        return response

    async def _fail(self, api: str, context: Context, exc: BaseException,
                    seconds: float) -> None:
        if isinstance(exc, KanalError):
            self._metrics.request(api, exc.code, seconds)
            await context.abort(grpc_status(exc), exc.message,
                                trailing_metadata=trailing_metadata(exc))
        log.error("%s failed unexpectedly", api, exc_info=exc)
        bug = UnknownServerError(f"{api} failed: {type(exc).__name__}: {exc}")
        self._metrics.request(api, bug.code, seconds)
        await context.abort(grpc.StatusCode.INTERNAL, bug.message,
                            trailing_metadata=trailing_metadata(bug))
