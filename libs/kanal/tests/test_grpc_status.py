"""The one table from Kanal errors to gRPC status codes."""

from __future__ import annotations

import grpc
import pytest
from kanal import errors
from kanal.grpc_status import grpc_status, trailing_metadata


@pytest.mark.parametrize("cls", [errors.ERRORS_BY_CODE[c] for c in sorted(errors.ERRORS_BY_CODE)])
def test_every_error_has_a_status_and_carries_its_code(cls: type[errors.KanalError]) -> None:
    error = cls("why")
    status = grpc_status(error)
    assert status != grpc.StatusCode.OK
    assert trailing_metadata(error) == (("kanal-error-code", str(cls.code)),)
    if cls is errors.InvalidRequest:
        assert status == grpc.StatusCode.INVALID_ARGUMENT
    if cls.retriable:
        assert status in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.NOT_FOUND,
                          grpc.StatusCode.DEADLINE_EXCEEDED)
