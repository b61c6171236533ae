"""Kafka's predicates, by class name and by simple name."""

from __future__ import annotations

from collections.abc import Callable

from kanal_connect.predicates.builtin import (
    HasHeaderKey,
    Predicate,
    RecordIsTombstone,
    TopicNameMatches,
)

PACKAGE = "org.apache.kafka.connect.transforms.predicates."
_SIMPLE: dict[str, Callable[[], Predicate]] = {
    "HasHeaderKey": HasHeaderKey,
    "RecordIsTombstone": RecordIsTombstone,
    "TopicNameMatches": TopicNameMatches,
}
PREDICATES: dict[str, Callable[[], Predicate]] = _SIMPLE | {
    PACKAGE + n: f for n, f in _SIMPLE.items()
}
PREDICATE_CLASSES: tuple[str, ...] = tuple(sorted(PACKAGE + n for n in _SIMPLE))

__all__ = [
    "PREDICATES",
    "PREDICATE_CLASSES",
    "HasHeaderKey",
    "Predicate",
    "RecordIsTombstone",
    "TopicNameMatches",
]
