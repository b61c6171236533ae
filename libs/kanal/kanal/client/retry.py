"""Retry pacing and the mapping of gRPC call failures onto Kanal errors."""

from __future__ import annotations

import random

import grpc

from kanal.errors import (
    BrokerNotAvailable,
    InvalidRequest,
    KanalError,
    RequestTimedOut,
    UnknownServerError,
    error_for_code,
)

# Per-partition codes after which the client refreshes metadata before retrying: the
# partition's leader has moved, is not known yet, or the topic was just created.
METADATA_STALE_CODES = frozenset({3, 5, 6, 74, 75})


def backoff_s(attempt: int, initial_ms: int, max_ms: int) -> float:
    """Exponential backoff with 20% jitter: initial, 2x, 4x ... capped at max (seconds)."""
    base = float(min(max_ms, initial_ms * (2 ** max(0, attempt - 1))))
    return base * random.uniform(0.8, 1.0) / 1000.0


def error_from_rpc(exc: grpc.aio.AioRpcError | grpc.RpcError) -> KanalError:
    """The Kanal error behind a failed RPC: the service's own code when it sent one in the
    trailing metadata (`kanal-error-code`), else one derived from the gRPC status."""
    details = ""
    status: grpc.StatusCode | None = None
    if isinstance(exc, grpc.aio.AioRpcError):
        details = exc.details() or ""
        status = exc.code()
        for item in exc.trailing_metadata() or ():
            if item.key == "kanal-error-code":
                raw: object = item.value
                text = raw.decode() if isinstance(raw, bytes) else str(raw)
                try:
                    return error_for_code(int(text), details)
                except ValueError:
                    break
    message = details or str(exc)
    if status in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED):
        return BrokerNotAvailable(message)
    if status is grpc.StatusCode.DEADLINE_EXCEEDED:
        return RequestTimedOut(message)
    if status in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNIMPLEMENTED):
        return InvalidRequest(message)
    return UnknownServerError(message)
