from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kanal.errors import (
    FencedMemberEpoch,
    GroupIdNotFound,
    InvalidRequest,
    KanalError,
    NonEmptyGroup,
    OffsetMetadataTooLarge,
    StaleMemberEpoch,
    UnknownMemberId,
)
from kanal.types import TopicPartition
from kanal_broker.groups.config import GroupCoordinatorConfig
from kanal_broker.groups.group import GroupState
from kanal_broker.groups.offsets import CommittedOffset, OffsetCommitEntry
from kanal_broker.groups.testing import GroupHarness

TP = TopicPartition

T0 = TP("t", 0)


def _commit(
    harness: GroupHarness, member: str, epoch: int, *entries: OffsetCommitEntry
) -> dict[TP, KanalError | None]:
    results, append = harness.coordinator.commit(
        "g", entries, member_id=member, member_epoch=epoch, now_ms=harness.now_ms
    )
    harness.append(append)
    return results


def _member_harness() -> GroupHarness:
    harness = GroupHarness({"t": 2}, config=GroupCoordinatorConfig(session_timeout_ms=1000))
    harness.join("a", "t")
    harness.settle()
    return harness


def test_a_member_commits_with_its_epoch_and_fetches_back() -> None:
    harness = _member_harness()
    client = harness.clients["a"]
    harness.now_ms = 77
    results = _commit(harness, client.member_id, client.epoch, OffsetCommitEntry(T0, 42, 3, "m"))
    assert results == {T0: None}
    assert harness.coordinator.fetch("g", [T0, TP("t", 1)]) == {
        T0: CommittedOffset(42, 3, "m", 77),
        TP("t", 1): None,
    }
    assert harness.coordinator.fetch("g") == {T0: CommittedOffset(42, 3, "m", 77)}


@pytest.mark.parametrize(("epoch_shift", "error"), [(-1, StaleMemberEpoch), (1, FencedMemberEpoch)])
def test_a_commit_with_another_epoch_is_refused(epoch_shift: int, error: type[KanalError]) -> None:
    harness = _member_harness()
    client = harness.clients["a"]
    with pytest.raises(error):
        _commit(harness, client.member_id, client.epoch + epoch_shift, OffsetCommitEntry(T0, 1))
    assert harness.coordinator.fetch("g", [T0]) == {T0: None}


def test_a_zombie_fenced_by_session_timeout_cannot_overwrite() -> None:
    harness = _member_harness()
    zombie = harness.clients["a"]
    zombie_id, zombie_epoch = zombie.member_id, zombie.epoch
    _commit(harness, zombie_id, zombie_epoch, OffsetCommitEntry(T0, 10))
    harness.crash("a")
    harness.advance(1000)
    harness.join("b", "t")
    b = harness.clients["b"]
    _commit(harness, b.member_id, b.epoch, OffsetCommitEntry(T0, 20))
    with pytest.raises(UnknownMemberId):
        _commit(harness, zombie_id, zombie_epoch, OffsetCommitEntry(T0, 11))
    assert harness.coordinator.fetch("g", [T0])[T0] == CommittedOffset(20, -1, "", 1000)


def test_a_revoking_member_may_still_commit_what_it_gives_up() -> None:
    harness = _member_harness()
    harness.join("b", "t")
    harness.heartbeat("a")  # a learns it must revoke one partition; its epoch stays
    a = harness.clients["a"]
    assert a.revoking
    (revoked,) = a.revoking
    assert _commit(harness, a.member_id, a.epoch, OffsetCommitEntry(revoked, 5)) == {revoked: None}


def test_admin_commit_needs_an_empty_group_and_creates_one() -> None:
    harness = _member_harness()
    with pytest.raises(UnknownMemberId):
        _commit(harness, "", -1, OffsetCommitEntry(T0, 0))
    fresh = GroupHarness({"t": 1}, group_id="g")
    assert _commit(fresh, "", -1, OffsetCommitEntry(T0, 3)) == {T0: None}
    assert fresh.coordinator.describe("g").state is GroupState.EMPTY
    assert fresh.coordinator.fetch("g", [T0])[T0] == CommittedOffset(3, -1, "", 0)


def test_bad_entries_get_per_partition_errors_and_are_not_stored() -> None:
    harness = GroupHarness({"t": 3})
    results = _commit(
        harness,
        "",
        -1,
        OffsetCommitEntry(TP("t", 0), -5),
        OffsetCommitEntry(TP("t", 1), 1, metadata="x" * 4097),
        OffsetCommitEntry(TP("t", 2), 7, metadata="x" * 4096),
    )
    assert isinstance(results[TP("t", 0)], InvalidRequest)
    assert isinstance(results[TP("t", 1)], OffsetMetadataTooLarge)
    assert results[TP("t", 2)] is None
    assert list(harness.coordinator.fetch("g")) == [TP("t", 2)]


@given(
    member=st.text(max_size=5),
    epoch=st.integers(min_value=-3, max_value=5),
    offset=st.integers(min_value=-(2**63), max_value=2**63 - 1),
    metadata=st.text(max_size=5000),
)
def test_fuzzed_commits_get_error_codes_and_never_corrupt_state(
    member: str, epoch: int, offset: int, metadata: str
) -> None:
    harness = _member_harness()
    before = harness.coordinator.fetch("g")
    try:
        results = _commit(harness, member, epoch, OffsetCommitEntry(T0, offset, metadata=metadata))
    except KanalError:
        assert harness.coordinator.fetch("g") == before
        return
    stored = harness.coordinator.fetch("g", [T0])[T0]
    if results[T0] is None:
        assert stored is not None and stored.offset == offset >= 0
    else:
        assert stored is None


def test_offsets_of_an_empty_group_expire_after_retention_then_the_group_goes() -> None:
    config = GroupCoordinatorConfig(session_timeout_ms=1000, offsets_retention_ms=10_000)
    harness = GroupHarness({"t": 2}, config=config)
    harness.join("a", "t")
    harness.settle()
    a = harness.clients["a"]
    _commit(harness, a.member_id, a.epoch, OffsetCommitEntry(T0, 1))
    harness.advance(500)
    harness.leave("a")  # empty from t=500
    harness.advance(10_000 - 1)
    assert harness.coordinator.fetch("g", [T0])[T0] is not None
    harness.advance(1)
    assert harness.coordinator.fetch("g", [T0])[T0] is None
    with pytest.raises(GroupIdNotFound):
        harness.coordinator.describe("g")
    assert harness.log[-1][1] is None, "deletions are tombstones"


def test_offsets_of_subscribed_topics_never_expire_while_the_group_has_members() -> None:
    config = GroupCoordinatorConfig(session_timeout_ms=10**9, offsets_retention_ms=10)
    harness = GroupHarness({"t": 1, "old": 1}, config=config)
    harness.join("a", "t")
    harness.settle()
    a = harness.clients["a"]
    _commit(
        harness, a.member_id, a.epoch, OffsetCommitEntry(T0, 1), OffsetCommitEntry(TP("old", 0), 1)
    )
    harness.advance(100)
    assert list(harness.coordinator.fetch("g")) == [T0]


def test_delete_groups() -> None:
    harness = _member_harness()
    with pytest.raises(NonEmptyGroup):
        harness.coordinator.delete("g")
    harness.leave("a")
    harness.append(harness.coordinator.delete("g"))
    with pytest.raises(GroupIdNotFound):
        harness.coordinator.delete("g")
    assert harness.coordinator.list_groups() == []


def test_a_commit_with_only_bad_entries_creates_no_group() -> None:
    harness = GroupHarness({"t": 1})
    results = _commit(harness, "", -1, OffsetCommitEntry(T0, -1))
    assert isinstance(results[T0], InvalidRequest)
    assert harness.log == []
    with pytest.raises(GroupIdNotFound):
        harness.coordinator.describe("g")
