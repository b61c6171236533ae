"""The incremental cooperative assignor's rules, over random clusters and histories."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from kanal_connect.storage.keys import TaskId
from kanal_connect.worker.assignor import AssignorMemory, Holding, Plan, assign

WORKERS = st.lists(st.sampled_from([f"w{n}:8083" for n in range(6)]), min_size=1,
                   max_size=5, unique=True)
CONNECTORS = st.lists(st.sampled_from([f"c{n}" for n in range(8)]), max_size=8, unique=True)


@st.composite
def clusters(draw: st.DrawFn) -> tuple[list[str], list[str], list[TaskId], dict[str, Holding]]:
    workers = draw(WORKERS)
    connectors = draw(CONNECTORS)
    tasks = [TaskId(c, n) for c in connectors for n in range(draw(st.integers(0, 4)))]
    # Whatever the workers run now: possibly stale items, possibly overlapping.
    pool_c = [*connectors, "gone"]
    pool_t = [*tasks, TaskId("gone", 0)]
    holdings = {
        w: Holding(frozenset(draw(st.lists(st.sampled_from(pool_c), max_size=4))),
                   frozenset(draw(st.lists(st.sampled_from(pool_t), max_size=6))))
        for w in workers
    }
    return workers, connectors, tasks, holdings


def _owners(plan: Plan) -> tuple[list[str], list[TaskId]]:
    cs = [c for h in plan.assignments.values() for c in h.connectors]
    ts = [t for h in plan.assignments.values() for t in h.tasks]
    return cs, ts


def _balanced(plan: Plan, connectors: list[str], tasks: list[TaskId]) -> bool:
    counts_c = [len(h.connectors) for h in plan.assignments.values()]
    counts_t = [len(h.tasks) for h in plan.assignments.values()]
    cs, ts = _owners(plan)
    return (sorted(cs) == sorted(connectors) and sorted(ts) == sorted(tasks)
            and max(counts_c) - min(counts_c) <= 1 and max(counts_t) - min(counts_t) <= 1)


@given(clusters())
def test_nothing_twice_nothing_unknown_nothing_moved(
    cluster: tuple[list[str], list[str], list[TaskId], dict[str, Holding]],
) -> None:
    workers, connectors, tasks, holdings = cluster
    plan = assign(holdings, connectors, tasks, memory=AssignorMemory(), now_ms=0, max_delay_ms=0)
    assert set(plan.assignments) == set(workers)
    cs, ts = _owners(plan)
    assert len(cs) == len(set(cs)) and len(ts) == len(set(ts))
    assert set(cs) <= set(connectors) and set(ts) <= set(tasks)
    for worker, new in plan.assignments.items():
        for other, old in holdings.items():
            if other != worker:
                # What another worker ran is never handed to this one in the same round,
                # unless two workers both claimed it (the first keeps it).
                for c in new.connectors & old.connectors:
                    assert c in holdings[worker].connectors
                for t in new.tasks & old.tasks:
                    assert t in holdings[worker].tasks


@settings(max_examples=60)
@given(clusters())
def test_rounds_converge_to_a_balance(
    cluster: tuple[list[str], list[str], list[TaskId], dict[str, Holding]],
) -> None:
    _workers, connectors, tasks, holdings = cluster
    memory = AssignorMemory()
    for _round in range(4):
        plan = assign(holdings, connectors, tasks, memory=memory, now_ms=0, max_delay_ms=0)
        holdings = plan.assignments
        if not plan.rejoin:
            break
    assert not plan.rejoin
    assert _balanced(plan, connectors, tasks)


@settings(max_examples=60)
@given(clusters(), st.integers(1, 10_000))
def test_departed_work_waits_for_the_delay(
    cluster: tuple[list[str], list[str], list[TaskId], dict[str, Holding]], delay_ms: int,
) -> None:
    workers, connectors, tasks, _ = cluster
    memory = AssignorMemory()
    holdings: dict[str, Holding] = {w: Holding() for w in workers}
    for _round in range(4):  # a settled cluster first
        holdings = assign(holdings, connectors, tasks, memory=memory, now_ms=0,
                          max_delay_ms=delay_ms).assignments
    departed = workers[0]
    left_work = holdings.pop(departed)
    if not holdings:
        return
    plan = assign(holdings, connectors, tasks, memory=memory, now_ms=1, max_delay_ms=delay_ms)
    cs, ts = _owners(plan)
    assert not (left_work.connectors & set(cs)) and not (left_work.tasks & set(ts))
    if left_work.connectors or left_work.tasks:
        assert 0 < plan.delay_ms <= delay_ms
    # After the delay the work is handed out, and rounds settle balanced.
    now = 1 + delay_ms
    for _round in range(4):
        plan = assign(plan.assignments, connectors, tasks, memory=memory, now_ms=now,
                      max_delay_ms=delay_ms)
        if not plan.rejoin:
            break
    assert _balanced(plan, connectors, tasks)


def test_a_worker_back_within_the_delay_gets_its_work_again() -> None:
    memory = AssignorMemory()
    tasks = [TaskId("c", n) for n in range(4)]
    holdings = {"a": Holding(), "b": Holding()}
    for _round in range(3):
        holdings = assign(holdings, ["c"], tasks, memory=memory, now_ms=0,
                          max_delay_ms=1000).assignments
    b_work = holdings["b"]
    assign({"a": holdings["a"]}, ["c"], tasks, memory=memory, now_ms=10, max_delay_ms=1000)
    back = assign({"a": holdings["a"], "b": Holding()}, ["c"], tasks, memory=memory,
                  now_ms=20, max_delay_ms=1000)
    assert back.assignments["b"] == b_work
