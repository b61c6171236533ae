"""Turning the failures every format shares into `InvalidSchema` with a useful message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from kanal_registry.errors import InvalidSchema, RegistryError


def json_document(text: str) -> object:
    """`text` parsed as JSON; a syntax error names its line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidSchema(
            f"Invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise InvalidSchema("Invalid JSON: nested too deeply") from None


@contextmanager
def resolved_references() -> Iterator[None]:
    """Report a reference the resolver cannot find as an invalid schema (Confluent's 42201)."""
    try:
        yield
    except InvalidSchema:
        raise
    except RegistryError as exc:
        raise InvalidSchema(
            f"Invalid schema: a reference cannot be resolved: {exc.message}"
        ) from None
