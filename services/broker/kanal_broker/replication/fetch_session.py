"""A follower's fetch conversation with one leader broker: over the ReplicaFetch stream, or
over unary Fetch calls when the leader does not have the stream (UNIMPLEMENTED).

The stream is strictly request/answer: one request written, its one answer read, before the
next. Whatever interrupts an exchange midway (a cancelled long poll because the followed
partitions changed, an error, no answer within the deadline) cancels the whole stream, so a
late answer to an abandoned request can never be taken for the answer to a newer one; the
next exchange opens a fresh stream.
"""

from __future__ import annotations

import asyncio
import logging

import grpc
from kanal.errors import BrokerNotAvailable, RequestTimedOut
from kanal.v1 import broker_pb2, broker_pb2_grpc

log = logging.getLogger(__name__)

_Stream = grpc.aio.StreamStreamCall[broker_pb2.FetchRequest, broker_pb2.FetchResponse]


class FetchSession:
    def __init__(self, stub: broker_pb2_grpc.BrokerAsyncStub, *, source: int) -> None:
        self._stub = stub
        self._source = source
        self._stream: _Stream | None = None
        self._unary = False

    @property
    def streaming(self) -> bool:
        """Whether exchanges go over the ReplicaFetch stream (False after a fallback)."""
        return not self._unary

    async def fetch(self, request: broker_pb2.FetchRequest, *,
                    timeout_s: float) -> broker_pb2.FetchResponse:
        """The leader's answer to `request`; raises grpc.aio.AioRpcError, RequestTimedOut or
        BrokerNotAvailable (after which the stream is gone; the next call opens a new one)."""
        if self._unary:
            return await self._stub.Fetch(request, timeout=timeout_s)
        try:
            async with asyncio.timeout(timeout_s):  # no extra task, unlike wait_for
                return await self._exchange(request)
        except grpc.aio.AioRpcError as exc:
            self.close()
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
            log.info("broker %d has no ReplicaFetch stream; fetching with Fetch calls",
                     self._source)
            self._unary = True
            return await self._stub.Fetch(request, timeout=timeout_s)
        except TimeoutError:
            self.close()
            raise RequestTimedOut(
                f"no ReplicaFetch answer from broker {self._source} within {timeout_s:.1f}s"
            ) from None
        except BaseException:  # cancelled mid-exchange: its answer must not be read later
            self.close()
            raise

    async def _exchange(self, request: broker_pb2.FetchRequest) -> broker_pb2.FetchResponse:
        if self._stream is None:
            self._stream = self._stub.ReplicaFetch(None)  # requests are written one by one
        stream = self._stream
        await stream.write(request)
        reply = await stream.read()
        if not isinstance(reply, broker_pb2.FetchResponse):
            # grpc.aio.EOF: the stream ended without an error status (the leader stopping).
            raise BrokerNotAvailable(f"broker {self._source} ended the ReplicaFetch stream")
        return reply

    def close(self) -> None:
        if self._stream is not None:
            self._stream.cancel()
            self._stream = None
