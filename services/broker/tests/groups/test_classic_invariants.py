"""A hypothesis state machine over the classic group core: random joins (static ones too),
rejoins, syncs, heartbeats, leaves, abandoned polls and the passing of time, checking after
every step that each generation keeps one member count, that the leader is a member, that a
member's assignment is the one its generation's leader gave it, and that no poll is left
answered-but-attached or pending for a member that is gone."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from kanal.errors import KanalError
from kanal_broker.groups.classic.groups import ClassicGroups
from kanal_broker.groups.classic.model import ClassicState, JoinAnswer, SyncAnswer
from kanal_broker.groups.classic.requests import JoinRequest, SyncRequest
from kanal_broker.groups.config import GroupCoordinatorConfig

GROUP = "g"
T = TypeVar("T")


class ClassicGroupMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        counter = itertools.count(1)
        self.groups = ClassicGroups(GroupCoordinatorConfig(initial_rebalance_delay_ms=50),
                                    lambda client: f"m{next(counter)}")
        self.now = 0
        self.joins: list[asyncio.Future[Any]] = []
        self.syncs: list[tuple[str, int, asyncio.Future[Any]]] = []
        self.generations: dict[int, tuple[int, frozenset[tuple[str, int]]]] = {}
        """generation -> its member count, as the leader's answers told it."""
        self.plans: dict[int, dict[str, bytes]] = {}

    def _run(self, step: Callable[[], T]) -> T | None:
        async def inside() -> T | None:
            try:
                return step()
            except KanalError:
                return None
        return self.loop.run_until_complete(inside())

    def _members(self) -> list[str]:
        group = self.groups.get(GROUP)
        return sorted(group.members) if group else []

    def _join(self, member_id: str, metadata: bytes, instance_id: str | None = None) -> None:
        request = JoinRequest(GROUP, member_id, instance_id, "connect", (("default", metadata),),
                              6_000, 2_000)
        waiter = self._run(lambda: self.groups.join(request, now_ms=self.now))
        if waiter is not None:
            self.joins.append(waiter)
        self._collect()

    @rule(metadata=st.binary(max_size=3))
    def new_member(self, metadata: bytes) -> None:
        self._join("", metadata)

    @rule(instance=st.sampled_from(["static-a", "static-b"]), metadata=st.binary(max_size=1))
    def static_member_starts(self, instance: str, metadata: bytes) -> None:
        self._join("", metadata, instance)

    @precondition(lambda self: self._members())
    @rule(data=st.data(), metadata=st.binary(max_size=3))
    def rejoin(self, data: st.DataObject, metadata: bytes) -> None:
        member_id = data.draw(st.sampled_from(self._members()))
        group = self.groups.get(GROUP)
        instance = group.members[member_id].instance_id if group else None
        self._join(member_id, metadata, instance)

    @precondition(lambda self: self._members())
    @rule(data=st.data())
    def sync(self, data: st.DataObject) -> None:
        group = self.groups.get(GROUP)
        assert group is not None
        member_id = data.draw(st.sampled_from(self._members()))
        plan = None
        if member_id == group.leader:
            plan = {m: f"{m}@{group.generation}".encode() for m in group.members}
        request = SyncRequest(GROUP, group.generation, member_id, assignments=plan)
        waiter = self._run(lambda: self.groups.sync(request, now_ms=self.now))
        if waiter is not None:
            self.syncs.append((member_id, group.generation, waiter))
            if plan is not None and group.state is ClassicState.STABLE:
                self.plans.setdefault(group.generation, plan)
        self._collect()

    @precondition(lambda self: self._members())
    @rule(data=st.data())
    def heartbeat(self, data: st.DataObject) -> None:
        group = self.groups.get(GROUP)
        assert group is not None
        member_id = data.draw(st.sampled_from(self._members()))
        self._run(lambda: self.groups.heartbeat(GROUP, generation=group.generation,
                                                member_id=member_id, instance_id=None,
                                                now_ms=self.now))

    @precondition(lambda self: self._members())
    @rule(data=st.data())
    def leave(self, data: st.DataObject) -> None:
        member_id = data.draw(st.sampled_from(self._members()))
        self._run(lambda: self.groups.leave(GROUP, member_id=member_id, instance_id=None,
                                            now_ms=self.now))
        self._collect()

    @precondition(lambda self: any(not w.done() for w in self.joins))
    @rule(data=st.data())
    def abandon_a_join(self, data: st.DataObject) -> None:
        waiter = data.draw(st.sampled_from([w for w in self.joins if not w.done()]))
        self._run(lambda: self.groups.abandon(GROUP, waiter, now_ms=self.now))

    @rule(ms=st.integers(1, 4_000))
    def time_passes(self, ms: int) -> None:
        self.now += ms
        self._run(lambda: self.groups.tick(now_ms=self.now))
        self._collect()

    def _collect(self) -> None:
        for waiter in [w for w in self.joins if w.done()]:
            self.joins.remove(waiter)
            answer = waiter.result()
            if isinstance(answer, JoinAnswer) and answer.members:
                # A restarted static member takes a new id within the generation: compare
                # sizes and instance ids, not member ids.
                members = frozenset((instance or "", i if instance is None else 0)
                                    for i, (_, instance, _) in enumerate(answer.members))
                seen = self.generations.setdefault(answer.generation, (len(members), members))
                assert seen[0] == len(members)
                assert answer.leader in {m for m, _, _ in answer.members}
        for item in [s for s in self.syncs if s[2].done()]:
            self.syncs.remove(item)
            member_id, generation, waiter = item
            answer = waiter.result()
            plan = self.plans.get(generation)
            if isinstance(answer, SyncAnswer) and plan is not None:
                if member_id in plan:
                    assert answer.assignment == plan[member_id]
                else:  # a restarted static member: its predecessor's share, under a new id
                    assert answer.assignment in {*plan.values(), b""}

    @invariant()
    def one_consistent_group(self) -> None:
        group = self.groups.get(GROUP)
        if group is None:
            return
        assert bool(group.members) == (group.state is not ClassicState.EMPTY)
        if group.state in (ClassicState.COMPLETING_REBALANCE, ClassicState.STABLE):
            assert group.leader in group.members
            assert group.generation >= 1
        for member in group.members.values():
            for waiter in (member.join_waiter, member.sync_waiter):
                assert waiter is None or not waiter.done(), "answered polls are detached"
        if group.state is ClassicState.STABLE:
            assert all(m.sync_waiter is None for m in group.members.values())

    @invariant()
    def a_join_phase_always_ends(self) -> None:
        """Liveness: a join phase has a deadline the timer wakes for, and one whose known
        members have all rejoined (after any initial delay) is over."""
        group = self.groups.get(GROUP)
        if group is None:
            return
        waiting = {m.member_id for m in group.members.values() if m.join_waiter is not None}
        assert not waiting or group.state is ClassicState.PREPARING_REBALANCE
        syncing = {m.member_id for m in group.members.values() if m.sync_waiter is not None}
        assert not syncing or group.state is ClassicState.COMPLETING_REBALANCE
        if group.state is not ClassicState.PREPARING_REBALANCE:
            return
        assert group.join_deadline_ms is not None
        assert self.groups.next_deadline() is not None
        assert group.initial_join_ends_ms is not None or not group.all_rejoined()

    def teardown(self) -> None:
        self.loop.close()


ClassicGroupMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40,
                                                 deadline=None)
test_classic_group_state_machine = ClassicGroupMachine.TestCase
