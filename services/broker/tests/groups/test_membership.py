from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal.errors import (
    ConfigurationError,
    CoordinatorLoadInProgress,
    FencedInstanceId,
    FencedMemberEpoch,
    GroupIdNotFound,
    GroupMaxSizeReached,
    InvalidGroupId,
    InvalidRegularExpression,
    InvalidRequest,
    KanalError,
    NotCoordinator,
    UnknownMemberId,
    UnreleasedInstanceId,
    UnsupportedAssignor,
)
from kanal.types import TopicPartition
from kanal_broker.groups.config import GroupCoordinatorConfig
from kanal_broker.groups.coordinator import GroupCoordinator
from kanal_broker.groups.group import GroupState
from kanal_broker.groups.membership import HeartbeatRequest, HeartbeatResponse
from kanal_broker.groups.testing import GroupHarness

TP = TopicPartition


def _all_owned_disjoint(harness: GroupHarness) -> None:
    owned = [tp for parts in harness.owned().values() for tp in parts]
    assert len(owned) == len(set(owned))


def _sizes(harness: GroupHarness) -> dict[str, int]:
    return {name: len(parts) for name, parts in harness.settled_owned().items()}


def test_three_members_six_partitions_get_two_each_then_a_fourth_joins() -> None:
    harness = GroupHarness({"orders": 6})
    for name in "abc":
        harness.join(name, "orders")
    harness.settle()
    assert _sizes(harness) == {"a": 2, "b": 2, "c": 2}
    before = harness.settled_owned()
    harness.join("d", "orders")
    for _ in range(4):
        for name in "abcd":
            harness.heartbeat(name)
            _all_owned_disjoint(harness)
    harness.settle()
    assert sorted(_sizes(harness).values()) == [1, 1, 2, 2]
    for name in "abc":
        assert harness.settled_owned()[name] <= before[name], "members keep what they keep"


def test_a_partition_is_given_only_after_its_owner_acknowledges_the_revocation() -> None:
    harness = GroupHarness({"t": 2})
    harness.join("a", "t")
    harness.settle()
    harness.join("b", "t")
    # a's answer revoking a partition is lost: a still consumes both.
    harness.heartbeat("a", deliver=False)
    harness.heartbeat("a")  # now a knows, and revokes before its next heartbeat
    response = harness.heartbeat("b")
    assert isinstance(response, HeartbeatResponse)
    assert response.assignment == frozenset(), "b must wait for a's acknowledgement"
    _all_owned_disjoint(harness)
    harness.heartbeat("a")  # acknowledges: reports it no longer owns the revoked partition
    response = harness.heartbeat("b")
    assert isinstance(response, HeartbeatResponse)
    assert len(response.assignment) == 1
    _all_owned_disjoint(harness)


def test_member_epoch_reaches_the_assignment_epoch_only_after_revoking() -> None:
    harness = GroupHarness({"t": 2})
    harness.join("a", "t")
    harness.settle()
    epoch_before = harness.clients["a"].epoch
    harness.join("b", "t")
    harness.heartbeat("a")
    assert harness.clients["a"].epoch == epoch_before
    description = harness.coordinator.describe("g")
    assert description.state is GroupState.RECONCILING
    harness.heartbeat("a")
    assert harness.clients["a"].epoch == description.assignment_epoch


def test_leave_frees_partitions_for_the_others() -> None:
    harness = GroupHarness({"t": 4})
    harness.join("a", "t")
    harness.join("b", "t")
    harness.settle()
    harness.leave("a")
    harness.settle()
    assert harness.settled_owned() == {"b": frozenset(TP("t", p) for p in range(4))}


def test_a_silent_member_is_fenced_after_the_session_timeout() -> None:
    config = GroupCoordinatorConfig(session_timeout_ms=1000)
    harness = GroupHarness({"t": 4}, config=config)
    harness.join("a", "t")
    harness.join("b", "t")
    harness.settle()
    harness.crash("a")
    harness.heartbeat("b")
    harness.advance(999)
    assert len(harness.coordinator.describe("g").members) == 2
    harness.heartbeat("b")
    harness.advance(1)
    assert [m.member.member_id for m in harness.coordinator.describe("g").members] == ["m1"]
    harness.settle()
    assert _sizes(harness) == {"b": 4}


def test_a_member_that_does_not_revoke_in_time_is_fenced() -> None:
    config = GroupCoordinatorConfig(default_rebalance_timeout_ms=1000)
    harness = GroupHarness({"t": 2}, config=config)
    harness.join("a", "t")
    harness.settle()
    harness.join("b", "t")
    harness.heartbeat("a", deliver=False)  # a never learns it must revoke
    assert harness.coordinator.next_deadline() == 1000
    harness.advance(999)
    assert len(harness.coordinator.describe("g").members) == 2
    harness.advance(1)
    assert [m.member.member_id for m in harness.coordinator.describe("g").members] == ["m1"]


def test_zombie_heartbeat_after_fencing_is_refused_and_the_client_rejoins() -> None:
    config = GroupCoordinatorConfig(session_timeout_ms=1000)
    harness = GroupHarness({"t": 2}, config=config)
    harness.join("a", "t")
    harness.settle()
    harness.advance(1000)
    assert isinstance(harness.heartbeat("a"), GroupIdNotFound | UnknownMemberId)
    assert harness.clients["a"].owned == frozenset()
    harness.settle()
    assert _sizes(harness) == {"a": 2}


def test_static_member_restart_keeps_its_partitions_without_a_rebalance() -> None:
    harness = GroupHarness({"t": 4})
    harness.join("a", "t", instance_id="host-a")
    harness.join("b", "t")
    harness.settle()
    kept = harness.settled_owned()["a"]
    epoch = harness.coordinator.describe("g").group_epoch
    harness.leave("a", static=True)
    harness.heartbeat("b")
    assert harness.settled_owned()["b"].isdisjoint(kept), "reserved for the instance"
    response = harness.join("a2", "t", instance_id="host-a")
    assert response.assignment == kept
    assert response.member_id != "m0"
    assert harness.coordinator.describe("g").group_epoch == epoch


def test_a_second_live_member_with_the_same_instance_id_is_refused() -> None:
    harness = GroupHarness({"t": 1})
    harness.join("a", "t", instance_id="i")
    with pytest.raises(UnreleasedInstanceId):
        harness.join("b", "t", instance_id="i")
    with pytest.raises(FencedInstanceId):
        harness.coordinator.heartbeat(
            HeartbeatRequest("g", "m0", harness.clients["a"].epoch, instance_id="other"),
            topics=harness.topics,
            now_ms=0,
        )


def test_epoch_fencing_and_the_lost_answer_tolerance() -> None:
    harness = GroupHarness({"t": 2})
    harness.join("a", "t")
    harness.settle()
    client = harness.clients["a"]
    assert isinstance(harness.heartbeat("a", client.epoch + 1), FencedMemberEpoch)
    assert client.owned == frozenset() and client.epoch == 0
    harness.settle()
    harness.join("b", "t")
    harness.settle()
    harness.topics["t"] = 4  # the next answer to a raises its epoch...
    old_epoch = client.epoch
    harness.heartbeat("a", deliver=False)  # ...but is lost
    assert harness.coordinator.describe("g").members[0].member.member_epoch > old_epoch
    assert isinstance(harness.heartbeat("a"), HeartbeatResponse), "previous epoch accepted"


def test_regex_subscription_follows_new_topics_and_skips_internal_ones() -> None:
    harness = GroupHarness({"events-a": 1, "__consumer_offsets": 50, "other": 1})
    harness.join("a", regex=r"events-.*")
    harness.settle()
    assert harness.settled_owned()["a"] == {TP("events-a", 0)}
    harness.topics["events-b"] = 2
    harness.settle()
    assert harness.settled_owned()["a"] == {TP("events-a", 0), TP("events-b", 0), TP("events-b", 1)}


def test_range_assignor_is_chosen_per_group() -> None:
    harness = GroupHarness({"t0": 3, "t1": 3})
    harness.join("a", "t0", "t1", assignor="range")
    harness.join("b", "t0", "t1", assignor="range")
    harness.settle()
    assert harness.coordinator.describe("g").assignor_name == "range"
    assert harness.settled_owned()["a"] == {TP("t0", 0), TP("t0", 1), TP("t1", 0), TP("t1", 1)}


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        (
            HeartbeatRequest("g", "", 0, subscribed_topic_regex="(unclosed"),
            InvalidRegularExpression,
        ),
        (HeartbeatRequest("g", "", 0, server_assignor="sticky"), UnsupportedAssignor),
        (HeartbeatRequest("g", "", 5), InvalidRequest),
        (HeartbeatRequest("g", "x", -3), InvalidRequest),
        (HeartbeatRequest("g", "x", -2), InvalidRequest),
        (HeartbeatRequest("g", "x" * 256, 0), InvalidRequest),
        (HeartbeatRequest("g", "x", 0, rebalance_timeout_ms=-1), InvalidRequest),
        (HeartbeatRequest("g", "x", 0, owned=frozenset({TP("t", -1)})), InvalidRequest),
        (HeartbeatRequest("g", "ghost", 3), UnknownMemberId),
        (HeartbeatRequest("g", "ghost", -1), UnknownMemberId),
        (HeartbeatRequest("", "x", 0), InvalidGroupId),
        (HeartbeatRequest("g" * 250, "x", 0), InvalidGroupId),
    ],
)
def test_bad_heartbeats_get_an_error_and_change_nothing(
    request_: HeartbeatRequest, error: type[KanalError]
) -> None:
    harness = GroupHarness({"t": 2})
    harness.join("a", "t")
    harness.settle()
    before = harness.coordinator.describe("g")
    log_length = len(harness.log)
    with pytest.raises(error):
        harness.coordinator.heartbeat(request_, topics=harness.topics, now_ms=0)
    assert harness.coordinator.describe("g") == before
    assert len(harness.log) == log_length


def test_group_max_size() -> None:
    harness = GroupHarness({"t": 1}, config=GroupCoordinatorConfig(max_group_size=1))
    harness.join("a", "t")
    with pytest.raises(GroupMaxSizeReached):
        harness.join("b", "t")


def test_unknown_group_and_partition_ownership_errors() -> None:
    coordinator = GroupCoordinator(new_member_id=lambda: "m")
    join = HeartbeatRequest("g", "", 0)
    with pytest.raises(NotCoordinator):
        coordinator.heartbeat(join, topics={}, now_ms=0)
    partition = coordinator.partition_for("g")
    coordinator.begin_loading(partition)
    with pytest.raises(CoordinatorLoadInProgress):
        coordinator.heartbeat(join, topics={}, now_ms=0)
    coordinator.load(partition, [], now_ms=0)
    with pytest.raises(GroupIdNotFound):
        coordinator.heartbeat(HeartbeatRequest("g", "m", 1), topics={}, now_ms=0)
    response, append = coordinator.heartbeat(join, topics={}, now_ms=0)
    assert response.member_id == "m" and append.partition == partition
    coordinator.unload(partition)
    with pytest.raises(NotCoordinator):
        coordinator.describe("g")


@settings(max_examples=200, deadline=None)
@given(
    member_id=st.sampled_from(["", "m0", "m1", "ghost"]) | st.text(max_size=300),
    epoch=st.integers(min_value=-5, max_value=6),
    instance_id=st.none() | st.sampled_from(["i", "j"]),
    regex=st.none() | st.sampled_from(["t.*", "(", "[z-a]", ".*"]),
    assignor=st.none() | st.sampled_from(["uniform", "range", "nope"]),
    rebalance_timeout_ms=st.integers(min_value=-10, max_value=10**6),
    owned=st.frozensets(st.builds(TP, st.sampled_from(["t", "x"]), st.integers(-2, 3))),
)
def test_fuzzed_heartbeats_either_work_or_change_nothing(
    *,
    member_id: str,
    epoch: int,
    instance_id: str | None,
    regex: str | None,
    assignor: str | None,
    rebalance_timeout_ms: int,
    owned: frozenset[TP],
) -> None:
    harness = GroupHarness({"t": 3})
    harness.join("a", "t", instance_id="i")
    harness.join("b", "t")
    harness.settle()
    before, log_length = harness.coordinator.describe("g"), len(harness.log)
    request = HeartbeatRequest(
        "g",
        member_id,
        epoch,
        instance_id=instance_id,
        subscribed_topic_regex=regex,
        server_assignor=assignor,
        rebalance_timeout_ms=rebalance_timeout_ms,
        owned=owned,
    )
    try:
        harness.coordinator.heartbeat(request, topics=harness.topics, now_ms=0)
    except KanalError:
        assert harness.coordinator.describe("g") == before
        assert len(harness.log) == log_length


def test_a_coordinator_refuses_unknown_assignors_in_its_config() -> None:
    with pytest.raises(ConfigurationError):
        GroupCoordinator(GroupCoordinatorConfig(assignors=("uniform", "magic")))
