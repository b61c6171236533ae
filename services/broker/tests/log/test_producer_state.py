"""Idempotent producers' state in the log: duplicates, gaps, epochs, and the state surviving
roll, restart (clean and crash) and truncation."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal.errors import InvalidProducerEpoch, OutOfOrderSequenceNumber
from kanal.records.header import iter_batches
from kanal_broker.log import Log
from kanal_broker.log.producer_snapshot import snapshot_offsets
from kanal_broker.log.producer_state import ProducerStateManager
from kanal_broker.log.testing import ManualClock, OpenLog, build_batch, topic_config


def batch(pid: int, epoch: int, seq: int, count: int = 1) -> bytes:
    records = [(None, f"{pid}-{epoch}-{seq + i}".encode()) for i in range(count)]
    return build_batch(records, producer_id=pid, producer_epoch=epoch, base_sequence=seq)


def all_batches(log: Log) -> bytes:
    """Every stored batch (a read stops at a segment's end)."""
    data, offset = b"", log.log_start_offset
    while offset < log.log_end_offset:
        result = log.read(offset, 1 << 30)
        data, offset = data + result.records, result.next_offset
    return data


def stored_values(log: Log) -> int:
    return sum(h.records_count for _, h in iter_batches(all_batches(log)))


def test_a_retried_batch_gets_its_original_offsets_and_is_stored_once(open_log: OpenLog) -> None:
    log = open_log()
    first = log.append_as_leader(batch(7, 0, 0, 3), leader_epoch=0)
    second = log.append_as_leader(batch(7, 0, 3, 2), leader_epoch=0)
    retry = log.append_as_leader(batch(7, 0, 0, 3), leader_epoch=0)
    assert (retry.first_offset, retry.last_offset) == (first.first_offset, first.last_offset)
    assert retry.record_count == 0
    assert log.append_as_leader(batch(7, 0, 3, 2), leader_epoch=0).first_offset == (
        second.first_offset)
    assert log.log_end_offset == 5
    assert stored_values(log) == 5


def test_sequence_rules(open_log: OpenLog) -> None:
    log = open_log()
    with pytest.raises(OutOfOrderSequenceNumber):
        log.append_as_leader(batch(1, 0, 5), leader_epoch=0)  # unknown producer, seq != 0
    log.append_as_leader(batch(1, 0, 0, 2), leader_epoch=0)
    with pytest.raises(OutOfOrderSequenceNumber):
        log.append_as_leader(batch(1, 0, 3), leader_epoch=0)  # a gap: 2 is missing
    with pytest.raises(OutOfOrderSequenceNumber):
        log.append_as_leader(batch(1, 1, 2), leader_epoch=0)  # new epoch must start at 0
    log.append_as_leader(batch(1, 1, 0), leader_epoch=0)
    with pytest.raises(InvalidProducerEpoch):
        log.append_as_leader(batch(1, 0, 2), leader_epoch=0)  # fenced epoch
    assert log.log_end_offset == 3


def test_only_the_last_five_batches_are_recognised(open_log: OpenLog) -> None:
    log = open_log()
    for seq in range(6):
        log.append_as_leader(batch(3, 0, seq), leader_epoch=0)
    assert log.append_as_leader(batch(3, 0, 1), leader_epoch=0).first_offset == 1
    with pytest.raises(OutOfOrderSequenceNumber):
        log.append_as_leader(batch(3, 0, 0), leader_epoch=0)


def test_batches_without_a_producer_id_are_not_checked(open_log: OpenLog) -> None:
    log = open_log()
    plain = build_batch([(None, b"x")])
    log.append_as_leader(plain, leader_epoch=0)
    log.append_as_leader(plain, leader_epoch=0)
    assert log.log_end_offset == 2


@pytest.mark.parametrize("crash", [False, True])
def test_state_survives_a_restart(open_log: OpenLog, log_dir: Path, crash: bool) -> None:
    log = open_log(segment_bytes=400)
    for seq in range(10):
        log.append_as_leader(batch(9, 2, seq), leader_epoch=0)
    assert snapshot_offsets(log_dir), "a roll writes a snapshot"
    if crash:
        log.flush()
        log.abandon()
    else:
        log.close()
    reopened = open_log(segment_bytes=400)
    assert reopened.append_as_leader(batch(9, 2, 9), leader_epoch=0).first_offset == 9
    with pytest.raises(OutOfOrderSequenceNumber):
        reopened.append_as_leader(batch(9, 2, 11), leader_epoch=0)
    reopened.append_as_leader(batch(9, 2, 10), leader_epoch=0)
    assert reopened.log_end_offset == 11


def test_a_follower_builds_the_same_state(open_log: OpenLog, tmp_path: Path) -> None:
    leader = open_log()
    for seq in range(3):
        leader.append_as_leader(batch(4, 0, 2 * seq, 2), leader_epoch=1)
    follower = Log.open(tmp_path / "follower", topic_config(), now_ms=ManualClock())
    try:
        follower.append_as_follower(all_batches(leader))
        assert follower.producer_state.producers == leader.producer_state.producers
        # As the new leader it recognises the retry of the last batch.
        assert follower.append_as_leader(batch(4, 0, 4, 2), leader_epoch=2).first_offset == 4
    finally:
        follower.abandon()


# ---- the property: any history gives the state of a simple model ---------------------------


@dataclass(frozen=True)
class Stored:
    pid: int
    epoch: int
    first_seq: int
    last_seq: int
    first_offset: int
    last_offset: int


def model_outcome(stored: list[Stored], pid: int, epoch: int, seq: int,
                  count: int) -> str | Stored:
    """What the leader must answer, restated from the rules on the stored batches."""
    mine = [s for s in stored if s.pid == pid]
    current = mine[-1].epoch if mine else None
    kept = [s for s in mine if s.epoch == current][-5:]
    for s in kept:
        if epoch == current and (s.first_seq, s.last_seq) == (seq, seq + count - 1):
            return s
    if current is not None and epoch < current:
        return "fenced"
    if current is None or epoch > current:
        return "ok" if seq == 0 else "gap"
    return "ok" if seq == kept[-1].last_seq + 1 else "gap"


operations = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(1, 2), st.integers(0, 2), st.integers(0, 8),
                  st.integers(1, 3)),
        st.tuples(st.just("truncate"), st.integers(0, 30)),
        st.tuples(st.just("reopen"), st.booleans()),
        st.tuples(st.just("roll")),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(operations)
def test_any_history_matches_the_model(ops: list[tuple[object, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "p-0"
        config = topic_config(segment_bytes=600)
        log = Log.open(directory, config, now_ms=ManualClock())
        stored: list[Stored] = []
        try:
            for op in ops:
                log = _run(log, op, stored, directory)
            rebuilt = ProducerStateManager()
            rebuilt.apply(h for _, h in iter_batches(all_batches(log)))
            assert log.producer_state.producers == rebuilt.producers
        finally:
            log.abandon()


def _run(log: Log, op: tuple[object, ...], stored: list[Stored], directory: Path) -> Log:
    kind = op[0]
    if kind == "append":
        _, pid, epoch, seq, count = op
        assert isinstance(pid, int) and isinstance(epoch, int)
        assert isinstance(seq, int) and isinstance(count, int)
        expected = model_outcome(stored, pid, epoch, seq, count)
        try:
            info = log.append_as_leader(batch(pid, epoch, seq, count), leader_epoch=0)
        except OutOfOrderSequenceNumber:
            assert expected == "gap"
        except InvalidProducerEpoch:
            assert expected == "fenced"
        else:
            if isinstance(expected, Stored):
                assert (info.first_offset, info.last_offset) == (
                    expected.first_offset, expected.last_offset)
            else:
                assert expected == "ok"
                stored.append(Stored(pid, epoch, seq, seq + count - 1, info.first_offset,
                                     info.last_offset))
    elif kind == "truncate":
        assert isinstance(op[1], int)
        boundaries = [s.first_offset for s in stored if s.first_offset >= op[1]]
        if boundaries:
            log.truncate_to(boundaries[0])
            stored[:] = [s for s in stored if s.first_offset < boundaries[0]]
    elif kind == "reopen":
        if op[1]:
            log.close()
        else:
            log.flush()
            log.abandon()
        log = Log.open(directory, log.config, now_ms=ManualClock())
    else:
        log.roll()
    return log


def test_a_snapshot_past_the_log_end_is_never_used(open_log: OpenLog, log_dir: Path) -> None:
    log = open_log()
    for seq in range(3):
        log.append_as_leader(batch(5, 0, seq), leader_epoch=0)
    log.roll()  # snapshot at 3
    log.truncate_to(1)  # as if a crash lost offsets 1 and 2
    assert snapshot_offsets(log_dir) == []
    log.append_as_leader(batch(5, 0, 1), leader_epoch=0)
    log.append_as_leader(batch(6, 0, 0), leader_epoch=0)
    log.append_as_leader(batch(6, 0, 1), leader_epoch=0)
    log.close()
    reopened = open_log()
    assert sorted(reopened.producer_state.producers) == [5, 6]
    assert reopened.append_as_leader(batch(5, 0, 2), leader_epoch=0).first_offset == 4
