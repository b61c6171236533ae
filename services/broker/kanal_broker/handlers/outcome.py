"""Turning an exception met while serving one partition into that partition's error."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from kanal.errors import KafkaStorageError, KanalError
from kanal.v1 import common_pb2

log = logging.getLogger(__name__)


def partition_error(exc: Exception) -> KanalError:
    """A KanalError as is; a disk failure as KAFKA_STORAGE_ERROR (retriable, per partition).
    Anything else is a bug: re-raised, so the request fails with gRPC INTERNAL."""
    if isinstance(exc, KanalError):
        return exc
    if isinstance(exc, OSError):
        log.error("storage error: %s", exc)
        return KafkaStorageError(f"storage error: {exc}")
    raise exc


def first_error(codes: Iterable[int]) -> int:
    """The code a request is counted under in metrics: its first partition error, or 0."""
    return next((code for code in codes if code != 0), 0)


def wire_code(error: KanalError) -> common_pb2.ErrorCode.ValueType:
    """The error's Kafka code as the protobuf enum type (the numbers are the same)."""
    return common_pb2.ErrorCode.ValueType(error.code)
