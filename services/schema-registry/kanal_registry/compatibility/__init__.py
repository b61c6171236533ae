"""Schema compatibility: levels, and the checker that applies one format's rules per level."""

from kanal_registry.compatibility.checker import check
from kanal_registry.compatibility.levels import DEFAULT_LEVEL, CompatibilityLevel

__all__ = ["DEFAULT_LEVEL", "CompatibilityLevel", "check"]
