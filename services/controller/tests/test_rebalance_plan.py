"""The move planners and the per-partition reassignment rules, as properties over random
assignments (pure functions, no etcd)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kanal.errors import InvalidReplicationFactor
from kanal.meta.documents import PartitionState
from kanal_controller import reassignment_rules, rebalance_plan

Assignment = dict[tuple[str, int], list[int]]


@st.composite
def assignments(draw: st.DrawFn) -> tuple[Assignment, list[int]]:
    """A valid assignment over brokers 1..n and the broker set to plan for."""
    brokers = list(range(1, draw(st.integers(2, 6)) + 1))
    rf = draw(st.integers(1, len(brokers)))
    partitions = draw(st.integers(1, 12))
    result: Assignment = {}
    for p in range(partitions):
        result[("t", p)] = draw(st.permutations(brokers).map(lambda b: b[:rf]))
    extra = draw(st.integers(0, 2))
    target_brokers = brokers + list(range(100, 100 + extra))
    if draw(st.booleans()) and len(target_brokers) > rf:
        target_brokers.remove(draw(st.sampled_from(target_brokers)))
    return result, target_brokers


@given(assignments())
def test_balanced_plans_spread_replicas_and_leaders_within_one(
        case: tuple[Assignment, list[int]]) -> None:
    assignment, brokers = case
    plan = rebalance_plan.balanced(assignment, brokers)
    final = {tp: plan.get(tp, replicas) for tp, replicas in assignment.items()}
    replicas = Counter({b: 0 for b in brokers})
    for tp, target in final.items():
        assert len(target) == len(assignment[tp]) and len(set(target)) == len(target)
        assert set(target) <= set(brokers)
        replicas.update(target)
    assert max(replicas.values()) - min(replicas.values()) <= 1
    assert all(plan[tp] != assignment[tp] for tp in plan)


@given(assignments())
def test_a_drain_moves_only_the_broker_s_replicas(case: tuple[Assignment, list[int]]) -> None:
    assignment, brokers = case
    leaving = set(brokers[:2]) if len(brokers) > 3 else {brokers[0]}
    rf = len(next(iter(assignment.values())))
    holding = {tp for tp, r in assignment.items() if leaving & set(r)}
    if len(set(brokers) - leaving) < rf and holding:
        with pytest.raises(InvalidReplicationFactor):
            rebalance_plan.drain(assignment, leaving, brokers)
        return
    plan = rebalance_plan.drain(assignment, leaving, brokers)
    assert set(plan) == holding
    for tp, target in plan.items():
        assert not leaving & set(target) and len(set(target)) == len(target)
        kept = [b for b in assignment[tp] if b not in leaving]
        assert set(target) <= set(brokers) | set(kept)  # only the leaving ones are replaced
        assert [b for b in target if b in kept] == kept  # the others keep their positions


def test_a_move_keeps_the_original_replicas_until_the_new_ones_are_in_sync() -> None:
    state = PartitionState(leader=1, leader_epoch=3, isr=[1, 2, 3], partition_epoch=7)
    step = reassignment_rules.start([1, 2, 3], state, [4, 2, 3], throttle=100)
    assert step.replicas == [4, 2, 3, 1]
    assert (step.state.adding_replicas, step.state.removing_replicas) == ([4], [1])
    assert step.state.partition_epoch == 8 and step.state.leader_epoch == 3
    assert reassignment_rules.complete(step.replicas, step.state, {1, 2, 3, 4}) is None

    done = reassignment_rules.complete(step.replicas, _with_isr(step.state, [1, 2, 3, 4]),
                                       {1, 2, 3, 4})
    assert done is not None and done.replicas == [4, 2, 3]
    assert done.state.leader == 4 and done.state.leader_epoch == 4
    assert done.state.isr == [2, 3, 4] and not done.state.reassigning
    assert done.state.reassignment_throttle == 0


def test_a_new_target_during_a_move_starts_from_the_original_replicas() -> None:
    state = PartitionState(leader=1, leader_epoch=0, isr=[1, 2], partition_epoch=0)
    first = reassignment_rules.start([1, 2], state, [3, 4], throttle=0)
    second = reassignment_rules.start(first.replicas, first.state, [2, 5], throttle=0)
    assert second.replicas == [2, 5, 1]
    assert (second.state.adding_replicas, second.state.removing_replicas) == ([5], [1])


def test_cancel_returns_to_the_original_replicas() -> None:
    state = PartitionState(leader=1, leader_epoch=0, isr=[1, 2], partition_epoch=0)
    moving = reassignment_rules.start([1, 2], state, [3, 2], throttle=0)
    back = reassignment_rules.cancel(moving.replicas, _with_isr(moving.state, [1, 2, 3]), {1, 2})
    # The original set, in the order of the move's list (Kafka's revert does the same).
    assert back is not None and back.replicas == [2, 1] and back.state.isr == [1, 2]
    assert back.state.leader == 1 and not back.state.reassigning


def _with_isr(state: PartitionState, isr: list[int]) -> PartitionState:
    return replace(state, isr=isr)
