from http import HTTPStatus

import pytest
from kanal.errors import KanalError
from kanal_registry import errors
from kanal_registry.errors import RegistryError, RegistryErrorCode, registry_error_for_code

CONFLUENT_CODES = {
    40401: HTTPStatus.NOT_FOUND,
    40402: HTTPStatus.NOT_FOUND,
    40403: HTTPStatus.NOT_FOUND,
    40404: HTTPStatus.NOT_FOUND,
    40405: HTTPStatus.NOT_FOUND,
    40406: HTTPStatus.NOT_FOUND,
    40407: HTTPStatus.NOT_FOUND,
    40408: HTTPStatus.NOT_FOUND,
    40409: HTTPStatus.NOT_FOUND,
    400: HTTPStatus.BAD_REQUEST,
    422: HTTPStatus.UNPROCESSABLE_ENTITY,
    409: HTTPStatus.CONFLICT,
    42201: HTTPStatus.UNPROCESSABLE_ENTITY,
    42202: HTTPStatus.UNPROCESSABLE_ENTITY,
    42203: HTTPStatus.UNPROCESSABLE_ENTITY,
    42204: HTTPStatus.UNPROCESSABLE_ENTITY,
    42205: HTTPStatus.UNPROCESSABLE_ENTITY,
    42206: HTTPStatus.UNPROCESSABLE_ENTITY,
    500: HTTPStatus.INTERNAL_SERVER_ERROR,
    50001: HTTPStatus.INTERNAL_SERVER_ERROR,
    50002: HTTPStatus.INTERNAL_SERVER_ERROR,
    50003: HTTPStatus.INTERNAL_SERVER_ERROR,
    50004: HTTPStatus.INTERNAL_SERVER_ERROR,
}


def test_the_enum_holds_exactly_confluents_codes() -> None:
    assert {int(code): code.http_status for code in RegistryErrorCode} == CONFLUENT_CODES


@pytest.mark.parametrize("code", list(RegistryErrorCode))
def test_every_code_has_one_exception_class_under_the_kanal_root(code: RegistryErrorCode) -> None:
    error = registry_error_for_code(int(code), "boom")
    assert isinstance(error, RegistryError)
    assert isinstance(error, KanalError)
    assert error.error_code is code
    assert error.code == int(code)
    assert error.http_status == CONFLUENT_CODES[int(code)]
    assert error.to_json_body() == {"error_code": int(code), "message": "boom"}


def test_an_unknown_code_becomes_the_root_error_with_the_code_in_its_message() -> None:
    error = registry_error_for_code(12345, "odd")
    assert type(error) is RegistryError
    assert "12345" in error.message


def test_invalid_schema_defaults_to_a_message_and_incompatible_carries_reasons() -> None:
    assert errors.InvalidSchema().to_json_body() == {
        "error_code": 42201,
        "message": "Invalid schema.",
    }
    incompatible = errors.IncompatibleSchema(reasons=("a", "b"))
    assert incompatible.reasons == ("a", "b")
    assert incompatible.message == "a; b"


def test_server_side_failures_are_retriable_and_client_errors_are_not() -> None:
    assert errors.StoreError.retriable and errors.ForwardingError.retriable
    assert not errors.InvalidSchema.retriable and not errors.SubjectNotFound.retriable
