"""ProduceStream: the produce handler over one long-lived stream.

Messages are handled as they arrive, up to `in_flight` at once (then the stream stops reading:
back-pressure reaches the client through gRPC flow control). Answers go out as they complete,
so they may overtake each other across partitions; `PartitionOrder` keeps the appends to one
partition in the stream's order.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

from kanal.v1 import broker_pb2

from kanal_broker.handlers.produce import PartitionOrder, ProduceHandler

_END = None


async def produce_stream(
    requests: AsyncIterator[broker_pb2.ProduceRequest], handler: ProduceHandler, *,
    in_flight: int, on_answer: Callable[[broker_pb2.ProduceResponse, float], None],
) -> AsyncIterator[broker_pb2.ProduceResponse]:
    """Yield one answer per request; re-raise the first unexpected failure (the caller turns
    it into the stream's status). `on_answer(response, seconds)` is for metrics."""
    order = PartitionOrder()
    answers: asyncio.Queue[broker_pb2.ProduceResponse | Exception | None] = asyncio.Queue()
    slots = asyncio.Semaphore(in_flight)
    pending: set[asyncio.Task[None]] = set()

    async def handle(request: broker_pb2.ProduceRequest) -> None:
        started = time.monotonic()
        try:
            response = await handler.produce(request, order)
            on_answer(response, time.monotonic() - started)
            await answers.put(response)
        except Exception as exc:
            await answers.put(exc)
        finally:
            slots.release()

    async def read_requests() -> None:
        try:
            async for request in requests:
                await slots.acquire()
                # Turns in PartitionOrder are claimed synchronously inside produce() before
                # its first await, and tasks start in creation order: arrival order holds.
                task = asyncio.create_task(handle(request))
                pending.add(task)
                task.add_done_callback(pending.discard)
            if pending:
                await asyncio.wait(set(pending))
        except Exception as exc:
            await answers.put(exc)
        await answers.put(_END)

    reader = asyncio.create_task(read_requests())
    try:
        while (answer := await answers.get()) is not _END:
            if isinstance(answer, Exception):
                raise answer
            yield answer
    finally:
        reader.cancel()
        for task in list(pending):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
