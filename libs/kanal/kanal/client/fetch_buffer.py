"""The consumer's assignment, positions and prefetched data, shared by poll() and the
fetcher under one lock.

Each assigned partition has a *position* (the next offset poll() returns) and a *fetch
position* (where the next Fetch starts). They differ while fetched data waits in the buffer:
the fetcher asks for more as soon as an answer arrives, so poll() finds data ready. A seek
bumps the partition's *generation*; data or offsets fetched for an older generation are
dropped when they arrive, so no record from before a seek is ever returned after it.

Records stay as the fetched bytes until poll() takes them, and are decoded then, in the
polling thread, only as many as it asks for.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable

from kanal.client.completed_fetch import CompletedFetch
from kanal.client.config import Deserializer
from kanal.client.records import ConsumerRecord
from kanal.errors import ConfigurationError, KanalError
from kanal.types import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, TopicPartition

ResetStrategy = int  # EARLIEST_TIMESTAMP or LATEST_TIMESTAMP (ListOffsets sentinels)



class PartitionState:
    __slots__ = ("buffered_bytes", "error", "fetch_position", "generation", "high_watermark",
                 "in_flight", "paused", "position", "reset_to", "retry_at")

    def __init__(self, reset_to: ResetStrategy | None) -> None:
        self.position: int | None = None
        self.fetch_position: int | None = None
        self.generation = 0
        self.reset_to = reset_to
        self.error: KanalError | None = None
        self.retry_at = 0.0
        self.in_flight = False
        self.buffered_bytes = 0
        self.high_watermark = -1
        self.paused = False


class FetchBuffer:
    def __init__(
        self,
        default_reset: ResetStrategy | None,
        key_deserializer: Deserializer | None,
        value_deserializer: Deserializer | None,
    ) -> None:
        self.default_reset = default_reset
        self._key_deserializer = key_deserializer
        self._value_deserializer = value_deserializer
        self.lock = threading.Lock()
        self.data_ready = threading.Condition(self.lock)
        self.states: dict[TopicPartition, PartitionState] = {}
        self._completed: deque[CompletedFetch] = deque()
        self._listeners: list[Callable[[], None]] = []

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Called (outside the lock) when data arrives or positions change."""
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in self._listeners:
            listener()

    # ---- assignment and positions (user side) ---------------------------------------------

    def assign(self, tps: Iterable[TopicPartition]) -> None:
        wanted = set(tps)
        with self.lock:
            for tp in list(self.states):
                if tp not in wanted:
                    del self.states[tp]
            for tp in wanted - self.states.keys():
                state = self.states[tp] = PartitionState(self.default_reset)
                if self.default_reset is None:
                    # Nothing says where to start (no committed offsets yet): poll() says so
                    # unless seek() comes first.
                    state.error = ConfigurationError(
                        f"{tp.topic}-{tp.partition} has no position and auto_offset_reset is "
                        "'none': seek() it first"
                    )
            self._completed = deque(c for c in self._completed if c.tp in wanted)
        self._notify()

    def assignment(self) -> set[TopicPartition]:
        with self.lock:
            return set(self.states)

    def _state(self, tp: TopicPartition) -> PartitionState:
        state = self.states.get(tp)
        if state is None:
            raise KanalError(f"{tp.topic}-{tp.partition} is not assigned to this consumer")
        return state

    def _restart(self, tp: TopicPartition, state: PartitionState) -> None:
        state.generation += 1
        state.error = None
        state.buffered_bytes = 0
        state.retry_at = 0.0
        self._completed = deque(c for c in self._completed if c.tp != tp)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        with self.lock:
            state = self._state(tp)
            self._restart(tp, state)
            state.position = state.fetch_position = offset
        self._notify()

    def reset(self, tp: TopicPartition, strategy: ResetStrategy) -> None:
        """Move to the earliest or latest offset (looked up by the fetcher)."""
        with self.lock:
            state = self._state(tp)
            self._restart(tp, state)
            state.position = state.fetch_position = None
            state.reset_to = strategy
        self._notify()

    def position(self, tp: TopicPartition) -> int | None:
        with self.lock:
            return self._state(tp).position

    def set_paused(self, tps: Iterable[TopicPartition], paused: bool) -> None:
        with self.lock:
            for tp in tps:
                self._state(tp).paused = paused
        self._notify()

    def paused(self) -> set[TopicPartition]:
        with self.lock:
            return {tp for tp, state in self.states.items() if state.paused}

    # ---- the fetcher side (event loop) ----------------------------------------------------

    def needs_reset(self) -> list[tuple[TopicPartition, ResetStrategy, int]]:
        with self.lock:
            return [
                (tp, s.reset_to, s.generation) for tp, s in self.states.items()
                if s.position is None and s.reset_to is not None and not s.in_flight
            ]

    def fetchable(
        self, now: float, max_buffered: int, leader_for: Callable[[TopicPartition], int | None],
        busy: set[int],
    ) -> tuple[dict[int, list[tuple[TopicPartition, int, int]]], bool]:
        """Partitions to fetch now, by leader, as (partition, fetch position, generation),
        marked in flight; skips leaders in `busy`. Also: whether some leader is unknown."""
        ready: dict[int, list[tuple[TopicPartition, int, int]]] = {}
        unknown = False
        with self.lock:
            for tp, s in self.states.items():
                if (s.fetch_position is None or s.in_flight or s.paused or s.error is not None
                        or s.retry_at > now or s.buffered_bytes >= max_buffered):
                    continue
                leader = leader_for(tp)
                if leader is None:
                    unknown = True
                    continue
                if leader in busy:
                    continue
                s.in_flight = True
                ready.setdefault(leader, []).append((tp, s.fetch_position, s.generation))
        return ready, unknown

    def generation(self, tp: TopicPartition) -> int:
        with self.lock:
            state = self.states.get(tp)
            return -1 if state is None else state.generation

    def release(self, tp: TopicPartition) -> None:
        with self.lock:
            state = self.states.get(tp)
            if state is not None:
                state.in_flight = False

    def add_fetch(
        self, tp: TopicPartition, generation: int, records: bytes, next_offset: int,
        high_watermark: int,
    ) -> None:
        with self.lock:
            state = self.states.get(tp)
            if state is None or state.generation != generation:
                return
            state.high_watermark = high_watermark
            if next_offset > (state.fetch_position or 0):
                state.fetch_position = next_offset
            if records:
                self._completed.append(CompletedFetch(tp, generation, records))
                state.buffered_bytes += len(records)
                self.data_ready.notify_all()
        self._notify()

    def fetch_failed(
        self, tp: TopicPartition, generation: int, error: KanalError | None, retry_at: float,
        reset_to: ResetStrategy | None = None,
    ) -> None:
        """Back off (`retry_at`), surface `error` from poll(), or reset the position."""
        with self.lock:
            state = self.states.get(tp)
            if state is None or state.generation != generation:
                return
            state.retry_at = retry_at
            if reset_to is not None:
                self._restart(tp, state)
                state.position = state.fetch_position = None
                state.reset_to = reset_to
            elif error is not None:
                state.error = error
                self.data_ready.notify_all()
        self._notify()

    def reset_done(self, tp: TopicPartition, generation: int, offset: int) -> None:
        with self.lock:
            state = self.states.get(tp)
            if state is None or state.generation != generation or state.position is not None:
                return
            state.position = state.fetch_position = offset
        self._notify()

    # ---- the poll side (user thread) ------------------------------------------------------

    def wait_for_data(self, timeout_s: float) -> None:
        """Block the polling thread until data or an error arrives, or `timeout_s` passes."""
        with self.data_ready:
            if not self._completed and all(s.error is None for s in self.states.values()):
                self.data_ready.wait(timeout_s)

    def drain(self, max_records: int) -> dict[TopicPartition, list[ConsumerRecord]]:
        """Up to `max_records` decoded records by partition; raises a partition's fetch error
        (for example OffsetOutOfRange under auto_offset_reset="none") once."""
        out: dict[TopicPartition, list[ConsumerRecord]] = {}
        freed = False
        while max_records > 0:
            with self.lock:
                self._raise_error()
                fetch = self._take_next()
                if fetch is None:
                    break
                position = self.states[fetch.tp].position or 0
            records = fetch.take(
                max_records, position, self._key_deserializer, self._value_deserializer
            )
            with self.lock:
                state = self.states.get(fetch.tp)
                if state is None or state.generation != fetch.generation:
                    continue
                if records:
                    state.position = records[-1].offset + 1
                    out.setdefault(fetch.tp, []).extend(records)
                    max_records -= len(records)
                if len(records) and max_records == 0:
                    self._completed.appendleft(fetch)  # maybe more in it: next poll
                else:
                    state.buffered_bytes = max(0, state.buffered_bytes - fetch.size)
                    freed = True
        if freed:
            self._notify()  # room for the fetcher to fetch that partition again
        return out

    def _take_next(self) -> CompletedFetch | None:
        """The first buffered fetch of a partition not paused; stale ones are dropped."""
        index = 0
        while index < len(self._completed):
            fetch = self._completed[index]
            state = self.states.get(fetch.tp)
            if state is None or state.generation != fetch.generation:
                del self._completed[index]
            elif state.paused:
                index += 1  # kept for resume()
            else:
                del self._completed[index]
                return fetch
        return None

    def _raise_error(self) -> None:
        for state in self.states.values():
            if state.error is not None:
                error, state.error = state.error, None
                raise error


def reset_strategy(name: str) -> ResetStrategy | None:
    """auto_offset_reset into a ListOffsets sentinel (None for "none")."""
    return {"earliest": EARLIEST_TIMESTAMP, "smallest": EARLIEST_TIMESTAMP,
            "latest": LATEST_TIMESTAMP, "largest": LATEST_TIMESTAMP, "none": None}[name]
