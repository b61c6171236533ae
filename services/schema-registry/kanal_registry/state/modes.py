"""Registry modes: whether a subject (or the whole registry) takes writes, and of which kind."""

from __future__ import annotations

from enum import StrEnum

from kanal_registry.errors import InvalidMode


class Mode(StrEnum):
    READWRITE = "READWRITE"
    READONLY = "READONLY"
    READONLY_OVERRIDE = "READONLY_OVERRIDE"
    IMPORT = "IMPORT"
    """Registrations carry their own id (and version), skip compatibility checks, and keep the
    ids of another registry: how a registry is migrated or mirrored."""

    @classmethod
    def parse(cls, value: object) -> Mode:
        if not isinstance(value, str):
            raise InvalidMode(f"Invalid mode {value!r}; valid modes are {', '.join(cls)}")
        try:
            return cls(value.upper())
        except ValueError:
            raise InvalidMode(
                f"Invalid mode {value!r}; valid modes are {', '.join(cls)}"
            ) from None

    @property
    def writable(self) -> bool:
        return self in (Mode.READWRITE, Mode.IMPORT)


DEFAULT_MODE = Mode.READWRITE
