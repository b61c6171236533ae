"""One line for a failed replication RPC: a gRPC status or a Kafka error from the answer."""

from __future__ import annotations

import grpc
from kanal.errors import KanalError

RpcFailure = (grpc.aio.AioRpcError, KanalError)


def describe(exc: grpc.aio.AioRpcError | KanalError) -> str:
    if isinstance(exc, KanalError):
        return exc.message
    return f"{exc.code().name}: {exc.details()}"
