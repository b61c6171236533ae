from __future__ import annotations

from kanal import errors
from kanal.v1 import common_pb2


def test_every_protocol_code_in_the_proto_has_exactly_one_class() -> None:
    proto_codes = {v.number for v in common_pb2.ErrorCode.DESCRIPTOR.values} - {0}
    assert proto_codes == set(errors.ERRORS_BY_CODE)


def test_error_for_code_round_trips_and_keeps_message() -> None:
    exc = errors.error_for_code(6, "broker 2 leads it")
    assert isinstance(exc, errors.NotLeaderForPartition)
    assert exc.retriable
    assert "broker 2 leads it" in str(exc)


def test_unknown_code_becomes_unknown_server_error() -> None:
    exc = errors.error_for_code(9999, "odd")
    assert isinstance(exc, errors.UnknownServerError)
    assert not exc.retriable
