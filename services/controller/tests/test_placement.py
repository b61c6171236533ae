"""Replica placement properties (pure functions, hypothesis)."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kanal.errors import InvalidReplicaAssignment, InvalidReplicationFactor
from kanal.types import BrokerId
from kanal_controller.placement import BrokerSlot, assign_replicas, validate_assignment

broker_ids = st.sets(st.integers(0, 1000), min_size=1, max_size=12)


@st.composite
def clusters(draw: st.DrawFn, *, racks: bool) -> tuple[list[BrokerSlot], int, int]:
    ids = sorted(draw(broker_ids))
    rack_names = draw(st.lists(st.sampled_from("abcdef"), min_size=len(ids), max_size=len(ids)))
    slots = [BrokerSlot(BrokerId(b), rack if racks else "") for b, rack in zip(ids, rack_names,
                                                                               strict=True)]
    partitions = draw(st.integers(1, 60))
    replication_factor = draw(st.integers(1, len(ids)))
    return slots, partitions, replication_factor


@given(clusters(racks=False))
def test_every_partition_has_rf_distinct_registered_brokers(
        cluster: tuple[list[BrokerSlot], int, int]) -> None:
    slots, partitions, rf = cluster
    assignment = assign_replicas(slots, num_partitions=partitions, replication_factor=rf)
    known = {s.broker_id for s in slots}
    assert len(assignment) == partitions
    for replicas in assignment:
        assert len(replicas) == rf
        assert len(set(replicas)) == rf
        assert set(replicas) <= known


@given(clusters(racks=False))
def test_fresh_cluster_leader_counts_differ_by_at_most_one(
        cluster: tuple[list[BrokerSlot], int, int]) -> None:
    slots, partitions, rf = cluster
    assignment = assign_replicas(slots, num_partitions=partitions, replication_factor=rf)
    leaders = Counter(replicas[0] for replicas in assignment)
    counts = [leaders.get(s.broker_id, 0) for s in slots]
    assert max(counts) - min(counts) <= 1


@given(clusters(racks=False))
def test_fresh_cluster_replica_counts_differ_by_at_most_one(
        cluster: tuple[list[BrokerSlot], int, int]) -> None:
    slots, partitions, rf = cluster
    assignment = assign_replicas(slots, num_partitions=partitions, replication_factor=rf)
    replicas = Counter(b for r in assignment for b in r)
    counts = [replicas.get(s.broker_id, 0) for s in slots]
    assert max(counts) - min(counts) <= 1


@given(clusters(racks=True))
def test_replicas_on_distinct_racks_while_racks_remain(
        cluster: tuple[list[BrokerSlot], int, int]) -> None:
    slots, partitions, rf = cluster
    rack_of = {s.broker_id: s.rack for s in slots}
    assignment = assign_replicas(slots, num_partitions=partitions, replication_factor=rf)
    distinct_racks = len(set(rack_of.values()))
    for replicas in assignment:
        assert len({rack_of[b] for b in replicas}) == min(rf, distinct_racks)


@given(clusters(racks=False), st.integers(1, 5))
def test_topics_created_one_after_another_keep_leaders_balanced(
        cluster: tuple[list[BrokerSlot], int, int], topics: int) -> None:
    slots, partitions, rf = cluster
    leaders: Counter[BrokerId] = Counter()
    for _ in range(topics):
        assignment = assign_replicas(slots, num_partitions=partitions, replication_factor=rf,
                                     leader_load=leaders)
        leaders.update(replicas[0] for replicas in assignment)
    counts = [leaders.get(s.broker_id, 0) for s in slots]
    assert max(counts) - min(counts) <= 1


def test_new_topic_prefers_the_least_loaded_leaders() -> None:
    slots = [BrokerSlot(BrokerId(b)) for b in (1, 2, 3)]
    assignment = assign_replicas(slots, num_partitions=1, replication_factor=1,
                                 leader_load={BrokerId(1): 4, BrokerId(2): 4})
    assert assignment == [[3]]


def test_rack_alternation_puts_a_single_partition_on_both_racks() -> None:
    slots = [BrokerSlot(BrokerId(1), "a"), BrokerSlot(BrokerId(2), "a"),
             BrokerSlot(BrokerId(3), "b"), BrokerSlot(BrokerId(4), "b")]
    for replicas in assign_replicas(slots, num_partitions=4, replication_factor=2):
        assert {b in (1, 2) for b in replicas} == {True, False}


@given(clusters(racks=False), st.integers(-3, 0))
def test_replication_factor_out_of_range_is_refused(
        cluster: tuple[list[BrokerSlot], int, int], below: int) -> None:
    slots, partitions, _ = cluster
    for rf in (below, len(slots) + 1):
        with pytest.raises(InvalidReplicationFactor):
            assign_replicas(slots, num_partitions=partitions, replication_factor=rf)


@pytest.mark.parametrize("assignment", [
    [],
    [[]],
    [[1, 2], [1]],
    [[1, 1]],
    [[1, 9]],
])
def test_invalid_explicit_assignments(assignment: list[list[int]]) -> None:
    with pytest.raises(InvalidReplicaAssignment):
        validate_assignment(assignment, known_brokers={1, 2, 3})


def test_valid_explicit_assignment_is_kept_in_order() -> None:
    assert validate_assignment([[3, 1], [2, 3]], known_brokers={1, 2, 3}) == [[3, 1], [2, 3]]
