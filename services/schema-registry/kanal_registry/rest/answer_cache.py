"""Ready-made answers for the hot read path: `GET /schemas/ids/{id}`, what serializers and
deserializers call. An id's answer is built once and served as bytes until the state changes
(any applied record clears the cache: writes are rare, lookups are not)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from kanal_registry.state.registry_state import RegistryState

_MAX_ENTRIES = 100_000


class AnswerCache:
    def __init__(self, state: RegistryState) -> None:
        self._state = state
        self._generation = -1
        self._answers: dict[tuple[str, int], bytes] = {}
        """Answers by (format, schema id)."""

    def get(self, key: tuple[str, int], build: Callable[[], bytes]) -> bytes:
        if self._generation != self._state.generation or len(self._answers) > _MAX_ENTRIES:
            self._answers.clear()
            self._generation = self._state.generation
        found = self._answers.get(key)
        if found is None:
            found = self._answers[key] = build()
        return found


ANSWERS = web.AppKey("answers", AnswerCache)
