"""The partition leadership rule (`elect`), case by case and as properties."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from kanal.meta.documents import PartitionState
from kanal_controller.leadership import elect


def state(leader: int, isr: list[int], leader_epoch: int = 0,
          partition_epoch: int = 0) -> PartitionState:
    return PartitionState(leader=leader, leader_epoch=leader_epoch, isr=isr,
                          partition_epoch=partition_epoch)


def test_leader_departs_next_preferred_in_sync_replica_leads() -> None:
    new = elect(state(1, [1, 2, 3], 4, 7), [1, 2, 3], live={2, 3})
    assert new == state(2, [2, 3], 5, 8)


def test_preferred_order_not_isr_order_decides() -> None:
    new = elect(state(1, [1, 3, 2], 0, 0), [1, 2, 3], live={2, 3})
    assert new is not None and new.leader == 2


def test_follower_departs_isr_shrinks_leader_epoch_stays() -> None:
    assert elect(state(1, [1, 2], 3, 3), [1, 2], live={1}) == state(1, [1], 3, 4)


def test_last_isr_member_departs_partition_offline_isr_kept() -> None:
    assert elect(state(1, [1], 2, 2), [1, 2], live={2}) == state(-1, [1], 3, 3)


def test_offline_partition_returns_when_its_isr_member_does() -> None:
    offline = state(-1, [1], 3, 3)
    assert elect(offline, [1, 2], live={2}) is None  # 2 is not in sync: no unclean election
    assert elect(offline, [1, 2], live={1, 2}) == state(1, [1], 4, 4)


def test_nothing_changes_when_leader_and_isr_are_live() -> None:
    assert elect(state(2, [1, 2], 1, 1), [1, 2], live={1, 2}) is None


@st.composite
def partitions(draw: st.DrawFn) -> tuple[PartitionState, list[int], set[int]]:
    replicas = draw(st.lists(st.integers(0, 6), min_size=1, max_size=5, unique=True))
    isr = draw(st.lists(st.sampled_from(replicas), min_size=1, unique=True))
    leader = draw(st.sampled_from([-1, *isr]))
    live = draw(st.sets(st.integers(0, 6)))
    return (state(leader, isr, draw(st.integers(0, 9)), draw(st.integers(0, 9))),
            replicas, live)


@given(partitions())
def test_rule_invariants(case: tuple[PartitionState, list[int], set[int]]) -> None:
    old, replicas, live = case
    new = elect(old, replicas, live)
    if new is None:
        return
    assert new.isr, "the ISR never becomes empty"
    assert set(new.isr) <= set(old.isr), "the controller never adds to the ISR"
    assert new.leader == -1 or (new.leader in live and new.leader in new.isr)
    assert new.partition_epoch == old.partition_epoch + 1
    assert new.leader_epoch == old.leader_epoch + (new.leader != old.leader)
    assert elect(new, replicas, live) is None, "one pass reaches the fixed point"
