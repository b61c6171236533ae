"""Kafka Connect's incremental cooperative assignor (KIP-415), as a pure function.

Each round the leader receives what every worker runs now and returns what every worker
should run next. The rules:

- an item (connector or task) is never moved from one worker to another in one round: it is
  revoked (absent from every assignment), and assigned in a later round once its old owner
  has reported that it stopped it; `rejoin` asks the members for that next round;
- the work of a worker that left waits `max_delay_ms` (scheduled.rebalance.max.delay.ms)
  for it to come back (then it gets its work back), and only then is handed out;
- items nobody runs go to the workers furthest below their share; workers holding more
  than their share (floor or ceil of total / workers) give the excess up, per kind.

Workers are identified by their worker id (host:port), stable across restarts, not by the
group member id the coordinator hands out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from kanal_connect.storage.keys import TaskId

Item = TypeVar("Item", str, TaskId)


@dataclass(frozen=True, slots=True)
class Holding:
    """What a worker runs (from its join metadata) or should run (an assignment)."""

    connectors: frozenset[str] = frozenset()
    tasks: frozenset[TaskId] = frozenset()


@dataclass(frozen=True, slots=True)
class Plan:
    assignments: dict[str, Holding]
    rejoin: bool
    """Something was revoked: members rejoin at once so it can be assigned."""
    delay_ms: int
    """A departed worker's work waits this long; members rejoin after it."""


@dataclass
class AssignorMemory:
    """What the leader remembers between rounds."""

    previous: dict[str, Holding] = field(default_factory=dict)
    lost_deadline_ms: int | None = None


def _split(
    held: Mapping[str, frozenset[Item]], configured: Sequence[Item], held_back: set[Item],
    revoke_allowed: bool,
) -> tuple[dict[str, set[Item]], bool]:
    """One kind of item: the new sets per worker, and whether something was revoked."""
    wanted = set(configured)
    owner: dict[Item, str] = {}
    sets: dict[str, set[Item]] = {w: set() for w in held}
    for worker in sorted(held):
        for item in held[worker]:
            if item in wanted and item not in owner:
                owner[item] = worker
                sets[worker].add(item)
    revoked = False
    if not sets:
        return sets, False
    # Quotas: floor(total / n) each, one more for the (total % n) workers holding most.
    total = len(wanted - held_back)
    base, extra = divmod(total, len(sets))
    by_load = sorted(sets, key=lambda w: (-len(sets[w]), w))
    quota = {w: base + (1 if rank < extra else 0) for rank, w in enumerate(by_load)}
    if revoke_allowed:
        for worker in by_load:
            excess = len(sets[worker]) - quota[worker]
            if excess > 0:
                for item in sorted(sets[worker])[-excess:]:
                    sets[worker].discard(item)
                revoked = True
    for item in sorted(wanted - set(owner) - held_back):
        target = min(sorted(sets), key=lambda w: (len(sets[w]) - quota[w], len(sets[w])))
        sets[target].add(item)
    return sets, revoked


def assign(
    members: Mapping[str, Holding], connectors: Sequence[str], tasks: Sequence[TaskId], *,
    memory: AssignorMemory, now_ms: int, max_delay_ms: int,
) -> Plan:
    """The next assignment of every member (keyed by worker id); updates `memory`."""
    held = {w: Holding(h.connectors, h.tasks) for w, h in members.items()}
    # Work of workers that left and has not been taken up by anyone.
    running_connectors = {c for h in held.values() for c in h.connectors}
    running_tasks = {t for h in held.values() for t in h.tasks}
    lost = {
        w: Holding(h.connectors - running_connectors, h.tasks - running_tasks)
        for w, h in memory.previous.items()
    }
    delay = 0
    back_connectors: set[str] = set()
    back_tasks: set[TaskId] = set()
    for worker, work in lost.items():
        if worker in held and not held[worker].connectors and not held[worker].tasks:
            # A worker back within the delay gets its previous work again.
            held[worker] = work
            continue
        if worker not in held:
            back_connectors |= set(work.connectors)
            back_tasks |= set(work.tasks)
    if back_connectors or back_tasks:
        if memory.lost_deadline_ms is None and max_delay_ms > 0:
            memory.lost_deadline_ms = now_ms + max_delay_ms
        if memory.lost_deadline_ms is not None and now_ms < memory.lost_deadline_ms:
            delay = memory.lost_deadline_ms - now_ms
        else:
            back_connectors, back_tasks = set(), set()
            memory.lost_deadline_ms = None
    else:
        memory.lost_deadline_ms = None
    revoke_allowed = not delay
    connector_sets, revoked_c = _split(
        {w: h.connectors for w, h in held.items()}, connectors, back_connectors, revoke_allowed
    )
    task_sets, revoked_t = _split(
        {w: h.tasks for w, h in held.items()}, tasks, back_tasks, revoke_allowed
    )
    assignments = {
        w: Holding(frozenset(connector_sets.get(w, ())), frozenset(task_sets.get(w, ())))
        for w in members
    }
    # Remember the held-back work under its departed owner until it is handed out.
    remembered = dict(assignments)
    if delay:
        for worker, work in lost.items():
            if worker not in members:
                remembered[worker] = work
    memory.previous = remembered
    return Plan(assignments, revoked_c or revoked_t, delay)
