"""Java regular expressions (`java.util.regex.Pattern`) compiled with Python's `re`.

Connector configs carry Java syntax. Python 3.11 shares most of it (possessive quantifiers,
atomic groups, lookarounds); the differences translated here are named groups
(`(?<name>...)` and back-references `\\k<name>`). Anything else Java-only fails to compile
and is reported as an invalid regex.
"""

from __future__ import annotations

import re

_NAMED_GROUP = re.compile(r"(?<!\\)\(\?<([A-Za-z][A-Za-z0-9]*)>")
_NAMED_BACKREF = re.compile(r"\\k<([A-Za-z][A-Za-z0-9]*)>")


def compile_java(pattern: str) -> re.Pattern[str]:
    """Compile a Java pattern; raise re.error when it cannot be expressed."""
    translated = _NAMED_GROUP.sub(r"(?P<\1>", pattern)
    return re.compile(_NAMED_BACKREF.sub(r"(?P=\1)", translated))
