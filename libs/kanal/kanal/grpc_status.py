"""The edge: a request-level KanalError becomes a gRPC status, through this one table.

The Kafka code travels in the trailing metadata `kanal-error-code`, so clients rebuild the
exact error class with `kanal.errors.error_for_code`.
"""

from __future__ import annotations

import grpc

from kanal.errors import (
    InvalidConfig,
    InvalidFetchSize,
    InvalidRequest,
    InvalidRequiredAcks,
    InvalidTopic,
    KanalError,
    LeaderNotAvailable,
    NotLeaderForPartition,
    RequestTimedOut,
    UnknownTopicOrPartition,
)

ERROR_CODE_KEY = "kanal-error-code"

_STATUS: dict[type[KanalError], grpc.StatusCode] = {
    InvalidRequest: grpc.StatusCode.INVALID_ARGUMENT,
    InvalidFetchSize: grpc.StatusCode.INVALID_ARGUMENT,
    InvalidRequiredAcks: grpc.StatusCode.INVALID_ARGUMENT,
    InvalidTopic: grpc.StatusCode.INVALID_ARGUMENT,
    InvalidConfig: grpc.StatusCode.INVALID_ARGUMENT,
    UnknownTopicOrPartition: grpc.StatusCode.NOT_FOUND,
    NotLeaderForPartition: grpc.StatusCode.UNAVAILABLE,
    LeaderNotAvailable: grpc.StatusCode.UNAVAILABLE,
    RequestTimedOut: grpc.StatusCode.DEADLINE_EXCEEDED,
}


def grpc_status(error: KanalError) -> grpc.StatusCode:
    for cls in type(error).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return grpc.StatusCode.UNAVAILABLE if error.retriable else grpc.StatusCode.FAILED_PRECONDITION


def trailing_metadata(error: KanalError) -> tuple[tuple[str, str], ...]:
    return ((ERROR_CODE_KEY, str(error.code)),)
