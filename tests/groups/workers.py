"""Consumers of one group, each polling in its own thread and recording which member
consumed every (partition, offset) - the evidence for "no partition double-consumed"."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from kanal import Consumer, TopicPartition


class Ledger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.consumed: list[tuple[int, int, str]] = []
        """(partition, offset, member name) of every record handed to a member."""

    def add(self, partition: int, offset: int, name: str) -> None:
        with self._lock:
            self.consumed.append((partition, offset, name))

    def duplicates(self) -> dict[tuple[int, int], list[str]]:
        with self._lock:
            seen: dict[tuple[int, int], list[str]] = {}
            for partition, offset, name in self.consumed:
                seen.setdefault((partition, offset), []).append(name)
        return {key: names for key, names in seen.items() if len(names) > 1}

    def offsets(self) -> set[tuple[int, int]]:
        with self._lock:
            return {(p, o) for p, o, _ in self.consumed}


class Worker:
    def __init__(self, name: str, ledger: Ledger, topic: str, **options: Any) -> None:
        self.name = name
        self.consumer = Consumer(topic, **options)
        self._ledger = ledger
        self._stop = threading.Event()
        self._closed = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        try:
            while not self._stop.is_set():
                for tp, records in self.consumer.poll(timeout_ms=200).items():
                    for record in records:
                        self._ledger.add(tp.partition, record.offset, self.name)
            self.consumer.close()
        except BaseException as exc:
            self.error = exc
        finally:
            self._closed.set()

    def assignment(self) -> set[TopicPartition]:
        return self.consumer.assignment()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
        assert not self._thread.is_alive(), f"{self.name} did not close"
        if self.error is not None:
            raise self.error


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def balanced(workers: list[Worker], partitions: int) -> bool:
    """Every partition owned by exactly one worker, each owning at least one."""
    owned = [w.assignment() for w in workers]
    flat = [tp.partition for tps in owned for tp in tps]
    return (sorted(flat) == list(range(partitions)) and all(owned)
            and max(map(len, owned)) - min(map(len, owned)) <= 1)
