"""The connect worker's errors: one root under `kanal.errors.KanalError`.

Kafka Connect distinguishes bad configuration (`ConfigException`, answered by the REST API
with HTTP 400 and per-field messages) from bad data (`DataException`, raised by converters and
transformations for a record they cannot handle). Both live here so callers catch one root;
the REST layer maps them to HTTP statuses through `http_status` alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import ClassVar

from kanal.errors import KanalError


class ConnectError(KanalError):
    """An unexpected connect worker error."""

    code = -1
    http_status: ClassVar[HTTPStatus] = HTTPStatus.INTERNAL_SERVER_ERROR


class DataException(ConnectError):
    """A record's data does not fit its schema, or cannot be converted."""

    http_status = HTTPStatus.BAD_REQUEST


class InvalidConnectorConfig(ConnectError):
    """A connector, converter, transformation or predicate configuration is invalid.

    `field_errors` maps a config key to its messages, in the words Kafka Connect uses
    ("Missing required configuration ..." / "Invalid value ... for configuration ...")."""

    code = 40
    http_status = HTTPStatus.BAD_REQUEST

    def __init__(
        self, message: str = "", field_errors: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        self.field_errors: dict[str, list[str]] = {
            name: list(messages) for name, messages in (field_errors or {}).items()
        }
        if not message and self.field_errors:
            message = "; ".join(m for msgs in self.field_errors.values() for m in msgs)
        super().__init__(message)

    @classmethod
    def for_value(cls, name: str, value: object, reason: str = "") -> InvalidConnectorConfig:
        """Kafka's `ConfigException(name, value, message)` wording."""
        text = f"Invalid value {value} for configuration {name}" + (f": {reason}" if reason else "")
        return cls(text, {name: [text]})

    def to_json_body(self) -> dict[str, object]:
        """Kafka Connect's REST error body: `{"error_code": 400, "message": ...}`."""
        return {"error_code": int(self.http_status), "message": self.message}


class RetriableError(ConnectError):
    """A task's transient failure (a database restarting, a broker moving leadership): the
    worker retries the same call within `errors.retry.timeout` instead of failing the task."""

    http_status = HTTPStatus.SERVICE_UNAVAILABLE
