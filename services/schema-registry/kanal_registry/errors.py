"""The schema registry's errors: Confluent's REST error codes, one enum, one exception tree.

Every error the registry raises is a `RegistryError`, itself a `kanal.errors.KanalError`, so
callers catch one root. Each leaf carries its Confluent `error_code` (the number clients see in
the JSON body `{"error_code": 42201, "message": ...}`) and the HTTP status it is sent with; the
REST layer maps an exception to a response through `RegistryErrorCode` alone.

The `code` class attribute that `KanalError` reserves for Kafka protocol codes holds the same
registry number here: registry codes (>= 400) never clash with Kafka's (< 200), and the Kafka
code table in `kanal.errors` is built before this module is imported, so it never sees them.
"""

from __future__ import annotations

from enum import IntEnum
from http import HTTPStatus
from typing import ClassVar

from kanal.errors import KanalError


class RegistryErrorCode(IntEnum):
    """Confluent Schema Registry error codes (the `error_code` field of an error body)."""

    SUBJECT_NOT_FOUND = 40401
    VERSION_NOT_FOUND = 40402
    SCHEMA_NOT_FOUND = 40403
    SUBJECT_SOFT_DELETED = 40404
    SUBJECT_NOT_SOFT_DELETED = 40405
    SCHEMA_VERSION_SOFT_DELETED = 40406
    SCHEMA_VERSION_NOT_SOFT_DELETED = 40407
    SUBJECT_COMPATIBILITY_NOT_CONFIGURED = 40408
    SUBJECT_MODE_NOT_CONFIGURED = 40409
    # Bodies that are not JSON (400) or JSON of the wrong shape (422): the bare HTTP code, as
    # Confluent's JSON mappers answer them.
    BAD_REQUEST = 400
    UNPROCESSABLE_ENTITY = 422
    # Confluent answers an incompatible schema with the bare HTTP code as error_code.
    INCOMPATIBLE_SCHEMA = 409
    INVALID_SCHEMA = 42201
    INVALID_VERSION = 42202
    INVALID_COMPATIBILITY_LEVEL = 42203
    INVALID_MODE = 42204
    OPERATION_NOT_PERMITTED = 42205
    REFERENCE_EXISTS = 42206
    # Confluent's server errors: 50001 the store, 50002 a timeout, 50003 forwarding to the
    # primary failed, 50004 no primary is known; anything unexpected is the bare 500.
    INTERNAL_SERVER_ERROR = 500
    STORE_ERROR = 50001
    OPERATION_TIMED_OUT = 50002
    FORWARDING_ERROR = 50003
    UNKNOWN_PRIMARY = 50004

    @property
    def http_status(self) -> HTTPStatus:
        """The HTTP status sent with this code: its first three digits."""
        return HTTPStatus(int(str(int(self))[:3]))


class RegistryError(KanalError):
    """An unexpected schema registry error."""

    error_code: ClassVar[RegistryErrorCode] = RegistryErrorCode.INTERNAL_SERVER_ERROR
    code = RegistryErrorCode.INTERNAL_SERVER_ERROR.value

    @property
    def http_status(self) -> HTTPStatus:
        return self.error_code.http_status

    def to_json_body(self) -> dict[str, object]:
        """The body Confluent's clients parse: `{"error_code": int, "message": str}`."""
        return {"error_code": int(self.error_code), "message": self.message}


class SubjectNotFound(RegistryError):
    """Subject not found."""

    error_code = RegistryErrorCode.SUBJECT_NOT_FOUND
    code = error_code.value


class VersionNotFound(RegistryError):
    """Version not found."""

    error_code = RegistryErrorCode.VERSION_NOT_FOUND
    code = error_code.value


class SchemaNotFound(RegistryError):
    """Schema not found."""

    error_code = RegistryErrorCode.SCHEMA_NOT_FOUND
    code = error_code.value


class SubjectSoftDeleted(RegistryError):
    """Subject was soft deleted; set permanent=true to delete permanently."""

    error_code = RegistryErrorCode.SUBJECT_SOFT_DELETED
    code = error_code.value


class SubjectNotSoftDeleted(RegistryError):
    """Subject was not deleted first before being permanently deleted."""

    error_code = RegistryErrorCode.SUBJECT_NOT_SOFT_DELETED
    code = error_code.value


class SchemaVersionSoftDeleted(RegistryError):
    """Schema version was soft deleted; set permanent=true to delete permanently."""

    error_code = RegistryErrorCode.SCHEMA_VERSION_SOFT_DELETED
    code = error_code.value


class SchemaVersionNotSoftDeleted(RegistryError):
    """Schema version was not deleted first before being permanently deleted."""

    error_code = RegistryErrorCode.SCHEMA_VERSION_NOT_SOFT_DELETED
    code = error_code.value


class SubjectCompatibilityNotConfigured(RegistryError):
    """Subject does not have subject-level compatibility configured."""

    error_code = RegistryErrorCode.SUBJECT_COMPATIBILITY_NOT_CONFIGURED
    code = error_code.value


class SubjectModeNotConfigured(RegistryError):
    """Subject does not have subject-level mode configured."""

    error_code = RegistryErrorCode.SUBJECT_MODE_NOT_CONFIGURED
    code = error_code.value


class BadRequest(RegistryError):
    """The request body is not JSON."""

    error_code = RegistryErrorCode.BAD_REQUEST
    code = error_code.value


class UnprocessableEntity(RegistryError):
    """The request body is JSON of the wrong shape: a missing field or a field of a wrong type."""

    error_code = RegistryErrorCode.UNPROCESSABLE_ENTITY
    code = error_code.value


class IncompatibleSchema(RegistryError):
    """Schema being registered is incompatible with an earlier schema."""

    error_code = RegistryErrorCode.INCOMPATIBLE_SCHEMA
    code = error_code.value

    def __init__(self, message: str = "", *, reasons: tuple[str, ...] = ()) -> None:
        super().__init__(message or "; ".join(reasons))
        self.reasons = reasons


class InvalidSchema(RegistryError):
    """Invalid schema."""

    error_code = RegistryErrorCode.INVALID_SCHEMA
    code = error_code.value


class InvalidVersion(RegistryError):
    """The specified version is not a valid version id."""

    error_code = RegistryErrorCode.INVALID_VERSION
    code = error_code.value


class InvalidCompatibilityLevel(RegistryError):
    """Invalid compatibility level."""

    error_code = RegistryErrorCode.INVALID_COMPATIBILITY_LEVEL
    code = error_code.value


class InvalidMode(RegistryError):
    """Invalid mode."""

    error_code = RegistryErrorCode.INVALID_MODE
    code = error_code.value


class OperationNotPermitted(RegistryError):
    """Operation not permitted."""

    error_code = RegistryErrorCode.OPERATION_NOT_PERMITTED
    code = error_code.value


class ReferenceExists(RegistryError):
    """One or more references exist to the schema."""

    error_code = RegistryErrorCode.REFERENCE_EXISTS
    code = error_code.value


class StoreError(RegistryError):
    """Error while reading or writing the schema store."""

    error_code = RegistryErrorCode.STORE_ERROR
    code = error_code.value
    retriable = True


class OperationTimedOut(RegistryError):
    """The operation timed out."""

    error_code = RegistryErrorCode.OPERATION_TIMED_OUT
    code = error_code.value
    retriable = True


class ForwardingError(RegistryError):
    """Error while forwarding the request to the primary."""

    error_code = RegistryErrorCode.FORWARDING_ERROR
    code = error_code.value
    retriable = True


class UnknownPrimary(RegistryError):
    """No primary instance is known (an election is in progress): retry."""

    error_code = RegistryErrorCode.UNKNOWN_PRIMARY
    code = error_code.value
    retriable = True


def _errors_by_code() -> dict[RegistryErrorCode, type[RegistryError]]:
    table: dict[RegistryErrorCode, type[RegistryError]] = {}
    pending: list[type[RegistryError]] = [RegistryError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.error_code in table:
            raise RuntimeError(f"registry error code {cls.error_code} claimed twice")
        table[cls.error_code] = cls
    return table


REGISTRY_ERRORS_BY_CODE: dict[RegistryErrorCode, type[RegistryError]] = _errors_by_code()


def registry_error_for_code(error_code: int, message: str = "") -> RegistryError:
    """The exception for a registry error code (a client reading an error body uses this)."""
    try:
        cls = REGISTRY_ERRORS_BY_CODE[RegistryErrorCode(error_code)]
    except ValueError:
        return RegistryError(f"error code {error_code}: {message}")
    return cls(message)
