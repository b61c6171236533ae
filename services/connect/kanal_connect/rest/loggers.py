"""`GET|PUT /admin/loggers`: Python logger levels in Kafka's shape (KIP-495):
`{"<logger>": {"level": "INFO", "last_modified": ms}}`; "root" is the root logger."""

from __future__ import annotations

import logging
import time

from kanal_connect.worker.errors import BadRequest, NotFound

LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF")
_TO_PYTHON = {"TRACE": logging.DEBUG, "DEBUG": logging.DEBUG, "INFO": logging.INFO,
              "WARN": logging.WARNING, "ERROR": logging.ERROR, "FATAL": logging.CRITICAL,
              "OFF": logging.CRITICAL + 10}
_modified: dict[str, int] = {}


def _level_name(level: int) -> str:
    for name, number in _TO_PYTHON.items():
        if number == level and name not in ("TRACE", "FATAL"):
            return name
    return logging.getLevelName(level)


def _entry(name: str, logger: logging.Logger) -> dict[str, object]:
    entry: dict[str, object] = {"level": _level_name(logger.getEffectiveLevel())}
    if name in _modified:
        entry["last_modified"] = _modified[name]
    return entry


def all_loggers() -> dict[str, dict[str, object]]:
    found = {"root": _entry("root", logging.getLogger())}
    for name, logger in sorted(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and logger.level != logging.NOTSET:
            found[name] = _entry(name, logger)
    return found


def get_logger(name: str) -> dict[str, object]:
    if name == "root":
        return _entry(name, logging.getLogger())
    logger = logging.root.manager.loggerDict.get(name)
    if not isinstance(logger, logging.Logger):
        raise NotFound(f"Logger {name} not found.")
    return {"level": _level_name(logger.getEffectiveLevel())}


def set_level(name: str, level: object) -> list[str]:
    """Set `name` and its descendants to `level`; the names changed, as Kafka answers."""
    if not isinstance(level, str) or level.upper() not in LEVELS:
        raise BadRequest(f"Invalid log level '{level}'.")
    number = _TO_PYTHON[level.upper()]
    target = logging.getLogger() if name == "root" else logging.getLogger(name)
    target.setLevel(number)
    changed = [name]
    for other, logger in logging.root.manager.loggerDict.items():
        below = name == "root" or other.startswith(name + ".")
        if isinstance(logger, logging.Logger) and below and logger.level != logging.NOTSET:
            logger.setLevel(number)
            changed.append(other)
    now = int(time.time() * 1000)
    for changed_name in changed:
        _modified[changed_name] = now
    return sorted(set(changed))
