from __future__ import annotations

import contextlib
from collections.abc import Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kanal.errors import CorruptRecord, KanalError
from kanal.types import TopicPartition
from kanal_broker.groups.config import GroupCoordinatorConfig
from kanal_broker.groups.coordinator import GroupCoordinator
from kanal_broker.groups.offsets import CommittedOffset, OffsetCommitEntry
from kanal_broker.groups.records import (
    RecordKey,
    RecordType,
    decode_key,
    decode_offset,
    encode_key,
    offset_record,
)
from kanal_broker.groups.replay import fold, replay
from kanal_broker.groups.testing import GroupHarness

TP = TopicPartition


def test_offset_commit_golden_bytes() -> None:
    record = offset_record("g", TP("t", 1), CommittedOffset(5, 2, "m", 7))
    assert record.key == bytes.fromhex("0001" + "0001" + "67" + "0001" + "74" + "00000001")
    assert record.value == bytes.fromhex(
        "0000" + "0000000000000005" + "00000002" + "0001" + "6d" + "0000000000000007"
    )
    assert decode_key(record.key) == RecordKey(RecordType.OFFSET_COMMIT, "g", partition=TP("t", 1))
    assert record.value is not None and decode_offset(record.value) == CommittedOffset(5, 2, "m", 7)
    assert offset_record("g", TP("t", 1), None).value is None


@given(
    group=st.text(max_size=20),
    member=st.text(max_size=20),
    record_type=st.sampled_from([t for t in RecordType if t is not RecordType.OFFSET_COMMIT]),
)
def test_keys_round_trip(group: str, member: str, record_type: RecordType) -> None:
    member_types = {
        RecordType.MEMBER_METADATA,
        RecordType.TARGET_MEMBER,
        RecordType.MEMBER_ASSIGNMENT,
    }
    key = RecordKey(record_type, group, member if record_type in member_types else "")
    assert decode_key(encode_key(key)) == key


@given(
    offset=st.integers(min_value=0, max_value=2**63 - 1),
    epoch=st.integers(min_value=-(2**31), max_value=2**31 - 1),
    metadata=st.text(max_size=100),
    timestamp=st.integers(min_value=0, max_value=2**62),
)
def test_offset_values_round_trip(offset: int, epoch: int, metadata: str, timestamp: int) -> None:
    committed = CommittedOffset(offset, epoch, metadata, timestamp)
    value = offset_record("g", TP("t", 0), committed).value
    assert value is not None and decode_offset(value) == committed


def _scenario() -> GroupHarness:
    config = GroupCoordinatorConfig(session_timeout_ms=1000)
    harness = GroupHarness({"t": 4, "u": 2}, config=config)
    harness.join("a", "t", instance_id="host-a")
    harness.join("b", "t", "u", assignor="range")
    harness.join("c", regex="u|t")
    harness.heartbeat("a")
    harness.heartbeat("b", deliver=False)
    b = harness.clients["b"]
    _, append = harness.coordinator.commit(
        "g",
        [OffsetCommitEntry(TP("t", 0), 9, 1, "meta")],
        member_id=b.member_id,
        member_epoch=b.epoch,
        now_ms=5,
    )
    harness.append(append)
    harness.leave("c")
    harness.leave("a", static=True)
    return harness


def _replayed(harness: GroupHarness, log: Iterable[tuple[bytes, bytes | None]]) -> GroupCoordinator:
    replica = GroupCoordinator(harness.coordinator.config)
    replica.load(harness.partition, log, now_ms=harness.now_ms)
    return replica


def test_replay_rebuilds_exactly_the_same_state() -> None:
    harness = _scenario()
    original = harness.coordinator
    replica = _replayed(harness, harness.log)
    assert fold(harness.log) == original.records_of("g")
    assert replica.records_of("g") == original.records_of("g")
    assert replica.describe("g") == original.describe("g")
    assert replica.fetch("g") == original.fetch("g")


def test_replay_of_the_compacted_log_gives_the_same_state() -> None:
    harness = _scenario()
    compacted = list(fold(harness.log).items())
    assert _replayed(harness, compacted).records_of("g") == harness.coordinator.records_of("g")


def test_after_failover_the_new_coordinator_answers_like_the_old_one() -> None:
    harness = _scenario()
    replica = _replayed(harness, harness.log)
    request = harness.request(harness.clients["b"])
    here, _ = harness.coordinator.heartbeat(request, topics=harness.topics, now_ms=10)
    there, _ = replica.heartbeat(request, topics=harness.topics, now_ms=10)
    assert here == there


def test_a_deleted_group_does_not_come_back_on_replay() -> None:
    harness = GroupHarness({"t": 1})
    harness.join("a", "t")
    harness.leave("a")
    harness.append(harness.coordinator.delete("g"))
    replica = _replayed(harness, harness.log)
    assert replica.list_groups() == []


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(st.tuples(st.binary(max_size=40), st.none() | st.binary(max_size=60))))
def test_decoding_garbage_raises_only_kanal_errors(
    records: list[tuple[bytes, bytes | None]],
) -> None:
    with contextlib.suppress(KanalError):
        replay(records)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(data=st.data())
def test_damaged_real_records_raise_only_corrupt_record(data: st.DataObject) -> None:
    log = [(k, v) for k, v in _LOG if v is not None]
    index = data.draw(st.integers(min_value=0, max_value=len(log) - 1))
    key, value = log[index]
    which = data.draw(st.sampled_from(["key", "value"]))
    target = key if which == "key" else value
    cut = data.draw(st.integers(min_value=0, max_value=len(target)))
    noise = data.draw(st.binary(max_size=4))
    damaged = target[:cut] + noise + target[cut + len(noise) :]
    log[index] = (damaged, value) if which == "key" else (key, damaged)
    with contextlib.suppress(CorruptRecord):
        replay(log)


_LOG = _scenario().log


def test_unknown_value_version_is_refused() -> None:
    record = offset_record("g", TP("t", 0), CommittedOffset(1))
    assert record.value is not None
    with pytest.raises(CorruptRecord):
        replay([(record.key, b"\x00\x01" + record.value[2:])])
