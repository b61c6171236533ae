"""ReplicaFetch: a follower's fetches over one long-lived stream, answered strictly in order.

Each request is handled exactly like a unary follower Fetch (same handler, same long poll),
one at a time: the follower sends its next request only after applying the previous answer,
so the request itself is the report of its new log end. What the stream saves is a call per
round (set-up, deadline, metadata) on both sides. Consumers keep using Fetch.

At shutdown the stream ends after its current answer (the follower sees the end and backs
off as from any unavailable leader); followers close their stream whenever they pause, so a
stream always has a request outstanding and a stopping server never waits out its grace.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable

from kanal.errors import InvalidRequest
from kanal.v1 import broker_pb2

from kanal_broker.handlers.fetch import CONSUMER_REPLICA_ID, FetchHandler


async def replica_fetch_stream(
    requests: AsyncIterator[broker_pb2.FetchRequest], handler: FetchHandler, *,
    on_answer: Callable[[broker_pb2.FetchResponse, float], None],
) -> AsyncIterator[broker_pb2.FetchResponse]:
    """Yield one answer per request; request-level errors (InvalidRequest, a consumer on
    this stream) propagate and end the stream. `on_answer(response, seconds)` is for
    metrics."""
    async for request in requests:
        if request.replica_id == CONSUMER_REPLICA_ID or request.replica_id < 0:
            raise InvalidRequest(
                f"ReplicaFetch is for followers (replica_id >= 0), got {request.replica_id}; "
                "consumers use Fetch")
        started = time.monotonic()
        response = await handler.fetch(request)
        on_answer(response, time.monotonic() - started)
        yield response
        if handler.stopping:
            return  # the server's grace period must not wait for a stream that never ends
