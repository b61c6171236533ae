"""Compatibility levels: which direction a new schema is checked in, and against which versions.

BACKWARD: consumers using the new schema can read data written with the old one (the new schema
is the Avro *reader*). FORWARD: consumers still on the old schema can read data written with the
new one (the new schema is the *writer*). FULL: both. A plain level compares with the latest
version only; a _TRANSITIVE level with every earlier version. NONE checks nothing.
"""

from __future__ import annotations

from enum import StrEnum

from kanal_registry.errors import InvalidCompatibilityLevel


class CompatibilityLevel(StrEnum):
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"

    @classmethod
    def parse(cls, value: str) -> CompatibilityLevel:
        """The level a REST body names (case-insensitive); 42203 for anything else."""
        try:
            return cls(value.upper())
        except (ValueError, AttributeError):
            raise InvalidCompatibilityLevel(
                f"Invalid compatibility level {value!r}; valid levels are {', '.join(cls)}"
            ) from None

    @property
    def checks_backward(self) -> bool:
        return self.name.startswith(("BACKWARD", "FULL"))

    @property
    def checks_forward(self) -> bool:
        return self.name.startswith(("FORWARD", "FULL"))

    @property
    def transitive(self) -> bool:
        return self.name.endswith("_TRANSITIVE")


DEFAULT_LEVEL = CompatibilityLevel.BACKWARD
