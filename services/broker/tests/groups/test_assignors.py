from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kanal.errors import UnsupportedAssignor
from kanal.types import TopicPartition
from kanal_broker.groups.assignors import (
    Assignment,
    AssignmentMember,
    assign_range,
    assign_uniform,
    assignor_named,
)

TP = TopicPartition


def _sub(
    *topics: str, current: set[TP] | None = None, instance: str | None = None
) -> AssignmentMember:
    return AssignmentMember(frozenset(topics), frozenset(current or ()), instance)


def _tps(topic: str, *partitions: int) -> set[TP]:
    return {TP(topic, p) for p in partitions}


# ---- range: examples from Kafka's RangeAssignor documentation and tests ----------------------


def test_range_two_consumers_two_topics_as_in_kafka_javadoc() -> None:
    result = assign_range({"C0": _sub("t0", "t1"), "C1": _sub("t0", "t1")}, {"t0": 3, "t1": 3})
    assert result["C0"] == _tps("t0", 0, 1) | _tps("t1", 0, 1)
    assert result["C1"] == _tps("t0", 2) | _tps("t1", 2)


def test_range_multiple_consumers_mixed_topics_as_in_kafka_tests() -> None:
    members = {
        "consumer1": _sub("topic1"),
        "consumer2": _sub("topic1", "topic2"),
        "consumer3": _sub("topic1"),
    }
    result = assign_range(members, {"topic1": 3, "topic2": 2})
    assert result["consumer1"] == _tps("topic1", 0)
    assert result["consumer2"] == _tps("topic1", 1) | _tps("topic2", 0, 1)
    assert result["consumer3"] == _tps("topic1", 2)


def test_range_more_consumers_than_partitions_leaves_the_last_empty() -> None:
    result = assign_range({"c0": _sub("t"), "c1": _sub("t")}, {"t": 1})
    assert result == {"c0": frozenset(_tps("t", 0)), "c1": frozenset()}


def test_range_orders_static_members_by_instance_id_first() -> None:
    members = {"a": _sub("t"), "z": _sub("t", instance="i0")}
    result = assign_range(members, {"t": 4})
    assert result["z"] == _tps("t", 0, 1)
    assert result["a"] == _tps("t", 2, 3)


def test_range_ignores_topics_that_do_not_exist() -> None:
    assert assign_range({"c": _sub("missing")}, {}) == {"c": frozenset()}


# ---- uniform ----------------------------------------------------------------------------------

topic_sizes = st.dictionaries(
    st.sampled_from(["a", "b", "c", "d"]), st.integers(min_value=0, max_value=12), min_size=1
)


def _check_valid(
    result: Assignment, members: dict[str, AssignmentMember], topics: dict[str, int]
) -> None:
    seen: list[TP] = [tp for parts in result.values() for tp in parts]
    assert len(seen) == len(set(seen)), "a partition went to two members"
    for member_id, parts in result.items():
        assert all(tp.topic in members[member_id].topics for tp in parts)
    subscribed = set().union(*(m.topics for m in members.values()))
    expected = {TP(t, p) for t, n in topics.items() if t in subscribed for p in range(n)}
    assert set(seen) == expected, "every subscribed partition is assigned"


@given(
    topics=topic_sizes,
    member_count=st.integers(min_value=1, max_value=7),
    data=st.data(),
)
def test_uniform_equal_subscriptions_balance_within_one(
    topics: dict[str, int], member_count: int, data: st.DataObject
) -> None:
    all_tps = sorted(TP(t, p) for t, n in topics.items() for p in range(n))
    # Arbitrary (even overlapping or stale) current ownership must not break balance.
    members = {
        f"m{i}": _sub(
            *topics,
            current=set(data.draw(st.lists(st.sampled_from(all_tps)) if all_tps else st.just([]))),
        )
        for i in range(member_count)
    }
    result = assign_uniform(members, topics)
    _check_valid(result, members, topics)
    counts = [len(parts) for parts in result.values()]
    assert max(counts) - min(counts) <= 1


@given(
    topics=topic_sizes,
    subscriptions=st.lists(
        st.frozensets(st.sampled_from(["a", "b", "c", "d"]), min_size=1), min_size=1, max_size=6
    ),
)
def test_uniform_mixed_subscriptions_assign_each_partition_once(
    topics: dict[str, int], subscriptions: list[frozenset[str]]
) -> None:
    members = {f"m{i}": AssignmentMember(sub) for i, sub in enumerate(subscriptions)}
    _check_valid(assign_uniform(members, topics), members, topics)


@given(
    partitions=st.integers(min_value=0, max_value=40),
    member_count=st.integers(min_value=1, max_value=6),
)
def test_uniform_join_moves_only_what_balance_requires(partitions: int, member_count: int) -> None:
    topics = {"t": partitions}
    before = assign_uniform({f"m{i}": _sub("t") for i in range(member_count)}, topics)
    members = {m: _sub("t", current=set(parts)) for m, parts in before.items()}
    members["new"] = _sub("t")
    after = assign_uniform(members, topics)
    for member_id, parts in before.items():
        assert after[member_id] <= parts, "an old member only loses partitions"
    assert len(after["new"]) == partitions // (member_count + 1)


def test_uniform_keeps_everything_when_already_balanced() -> None:
    current = {"m0": _tps("t", 0, 3), "m1": _tps("t", 1, 2)}
    members = {m: _sub("t", current=parts) for m, parts in current.items()}
    assert assign_uniform(members, {"t": 4}) == {m: frozenset(p) for m, p in current.items()}


def test_uniform_drops_partitions_of_unsubscribed_and_shrunk_topics() -> None:
    members = {"m0": _sub("t", current=_tps("t", 0, 5) | _tps("gone", 0)), "m1": _sub("t")}
    result = assign_uniform(members, {"t": 2})
    assert result["m0"] | result["m1"] == _tps("t", 0, 1)
    assert len(result["m0"]) == len(result["m1"]) == 1


def test_unknown_assignor_is_refused() -> None:
    assert assignor_named("range") is assign_range
    with pytest.raises(UnsupportedAssignor):
        assignor_named("cooperative-sticky")
