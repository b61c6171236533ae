"""The shape of an incompatibility reason, as Confluent prints them with `verbose=true`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Roles:
    """Which schema, "new" or "old", is the reader and which the writer in one comparison."""

    reader: str
    writer: str


def reason(error_type: str, description: str, *, path: str = "", info: str = "") -> str:
    """`{errorType:'...', description:'...', additionalInfo:'...'}`, Confluent's layout."""
    parts = [f"errorType:'{error_type}'", f"description:'{description}'"]
    if path:
        parts.insert(1, f"path:'{path}'")
    if info:
        parts.append(f"additionalInfo:'{info}'")
    return "{" + ", ".join(parts) + "}"
