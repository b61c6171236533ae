"""A random-operation test of the log against a list model, in the spirit of Redpanda's opfuzz.

Hypothesis drives append / roll / truncate / retention / compaction / clock / close-and-reopen
/ crash-and-reopen on a real partition directory; after every step the whole log read back
must equal the model, and the offsets must stay ordered."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from kanal.records.header import iter_batches
from kanal_broker.log import Log
from kanal_broker.log.files import segment_file
from kanal_broker.log.testing import ManualClock, build_batch, decode, topic_config

DELETE_RETENTION_MS = 10_000
CONFIG = topic_config(
    cleanup_policy="compact,delete",
    segment_bytes=300,
    index_interval_bytes=100,
    retention_bytes=1500,
    retention_ms=-1,
    delete_retention_ms=DELETE_RETENTION_MS,
    # Every pass with dirty data cleans, so the model can compact on every call.
    min_cleanable_dirty_ratio=0,
)

keys = st.sampled_from([b"a", b"b", b"c", b"d", None])
values = st.one_of(st.none(), st.binary(min_size=1, max_size=30))
records = st.lists(st.tuples(keys, values), min_size=1, max_size=4)


@dataclass(frozen=True)
class Row:
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int


class LogMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="log-fuzz-"))
        self.clock = ManualClock()
        self.log = Log.open(self.root / "p", CONFIG, now_ms=self.clock)
        self.model: list[Row] = []
        self.last_start: int = 0

    def teardown(self) -> None:
        self.log.abandon()
        shutil.rmtree(self.root, ignore_errors=True)

    @initialize(batches=st.lists(records, min_size=5, max_size=60))
    def fill(self, batches: list[list[tuple[bytes | None, bytes | None]]]) -> None:
        """Start from a log of several segments, so retention and compaction have work."""
        self.append(batches)

    @rule(batches=st.lists(records, min_size=1, max_size=6))
    def append(self, batches: list[list[tuple[bytes | None, bytes | None]]]) -> None:
        now = self.clock.now_ms
        for batch in batches:
            info = self.log.append_as_leader(build_batch(batch, timestamp_ms=now), leader_epoch=1)
            assert info.first_offset == self.log.log_end_offset - len(batch)
            for index, (key, value) in enumerate(batch):
                self.model.append(Row(info.first_offset + index, key, value, now))
        self.log.high_watermark = self.log.log_end_offset

    @rule()
    def roll(self) -> None:
        self.log.roll()

    @rule(ms=st.integers(0, 2 * DELETE_RETENTION_MS))
    def advance_clock(self, ms: int) -> None:
        self.clock.advance(ms)

    @precondition(lambda self: self.log.log_end_offset > self.log.log_start_offset)
    @rule(fraction=st.floats(0, 1))
    def truncate(self, fraction: float) -> None:
        start, end = self.log.log_start_offset, self.log.log_end_offset
        target = start + int((end - start) * fraction)
        # Whole batches holding `target` or later go: find where the survivors end.
        kept_end: int = start
        for batch_start, batch_end in self._batches():
            if batch_end <= target:
                kept_end = batch_end
            elif batch_start >= target:
                break
        self.log.truncate_to(target)
        assert self.log.log_end_offset <= max(target, start)
        self.model = [row for row in self.model if row.offset < kept_end]

    @rule(fraction=st.floats(0, 1))
    def set_high_watermark(self, fraction: float) -> None:
        start, end = self.log.log_start_offset, self.log.log_end_offset
        self.log.high_watermark = start + int((end - start) * fraction)

    @rule(gap=st.integers(0, 5))
    def truncate_fully_and_start_at(self, gap: int) -> None:
        offset = self.log.log_end_offset + gap
        self.log.truncate_fully_and_start_at(offset)
        assert self.log.log_start_offset == self.log.log_end_offset == offset
        self.model = []
        self.last_start = offset

    @rule()
    def retention(self) -> None:
        self.log.apply_retention()
        assert self.log.log_start_offset >= self.last_start
        self.last_start = self.log.log_start_offset
        self.model = [row for row in self.model if row.offset >= self.last_start]

    @rule()
    def compact(self) -> None:
        # Closed segments wholly below the high watermark are cleaned.
        bases = self.log.segment_base_offsets
        limit = max((base for base in bases[1:] if base <= self.log.high_watermark), default=0)
        closed = [row for row in self.model if row.offset < limit]
        latest = {row.key: row.offset for row in closed if row.key is not None}
        horizon = self.clock.now_ms - DELETE_RETENTION_MS
        self.log.compact()
        self.model = [
            row
            for row in self.model
            if row.offset >= limit
            or (
                row.key is not None
                and latest[row.key] == row.offset
                and not (row.value is None and row.timestamp < horizon)
            )
        ]

    @rule(clean=st.booleans())
    def reopen(self, clean: bool) -> None:
        if clean:
            self.log.close()
        else:
            self.log.abandon()
        self.log = Log.open(self.root / "p", CONFIG, now_ms=self.clock)
        self.log.high_watermark = self.log.log_end_offset
        if clean:
            assert self.log.recovery.segments_recovered == 0

    @rule(cut=st.integers(1, 150))
    def crash_with_a_torn_tail(self, cut: int) -> None:
        """The process dies mid-write: the active segment loses its last `cut` bytes."""
        active_base = self.log.segment_base_offsets[-1]
        tail = [
            (header.next_offset, header.size)
            for chunk in self._read_all()[1]
            for _, header in iter_batches(chunk)
            if header.base_offset >= active_base
        ]
        self.log.abandon()
        path = segment_file(self.root / "p", active_base, ".log")
        size = max(0, path.stat().st_size - cut)
        os.truncate(path, size)
        kept_end: int = active_base
        written = 0
        for next_offset, batch_size in tail:
            written += batch_size
            if written > size:
                break
            kept_end = next_offset
        self.model = [row for row in self.model if row.offset < kept_end]
        self.log = Log.open(self.root / "p", CONFIG, now_ms=self.clock)
        assert self.log.log_end_offset == max(kept_end, self.log.log_start_offset)
        self.log.high_watermark = self.log.log_end_offset

    def _read_all(self) -> tuple[list[tuple[int, bytes | None, bytes | None]], list[bytes]]:
        rows: list[tuple[int, bytes | None, bytes | None]] = []
        chunks: list[bytes] = []
        offset = self.log.log_start_offset
        while offset < self.log.log_end_offset:
            result = self.log.read(offset, 700)
            if not result.records:
                break
            assert result.next_offset > offset
            chunks.append(result.records)
            rows += decode(result.records, min_offset=offset)
            offset = result.next_offset
        return rows, chunks

    def _batches(self) -> list[tuple[int, int]]:
        return [
            (header.base_offset, header.next_offset)
            for chunk in self._read_all()[1]
            for _, header in iter_batches(chunk)
        ]

    @invariant()
    def log_matches_model(self) -> None:
        rows, _ = self._read_all()
        assert rows == [(row.offset, row.key, row.value) for row in self.model]

    @invariant()
    def offsets_are_ordered(self) -> None:
        log = self.log
        assert log.log_start_offset <= log.high_watermark <= log.log_end_offset
        if self.model:
            assert self.model[-1].offset < log.log_end_offset


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        stateful_step_count=50,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def test_random_operations_match_the_model() -> None:
    run_state_machine_as_test(LogMachine, settings=_settings(40))


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_random_operations_match_the_model_long_run() -> None:
    run_state_machine_as_test(LogMachine, settings=_settings(1000))
