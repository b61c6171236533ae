"""Any interleaving of joins, heartbeats (some answers lost), leaves, static restarts,
crashes with session expiry and topic growth: no partition is ever owned by two members,
neither in the coordinator's books nor in what the clients consume, and once everyone keeps
heartbeating the group converges to its target assignment."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from kanal.errors import GroupIdNotFound, UnreleasedInstanceId
from kanal_broker.groups.config import GroupCoordinatorConfig
from kanal_broker.groups.member import Member
from kanal_broker.groups.membership import HeartbeatResponse
from kanal_broker.groups.testing import GroupHarness

SESSION_MS = 1_000
NAMES = ["a", "b", "c", "d", "s0", "s1"]  # s*: static members (instance id = name)
SUBSCRIPTIONS = [("t1",), ("t1", "t2"), ("t2",)]


class GroupMachine(RuleBasedStateMachine):
    @initialize(assignor=st.sampled_from(["uniform", "range"]))
    def start(self, assignor: str) -> None:
        config = GroupCoordinatorConfig(session_timeout_ms=SESSION_MS)
        self.harness = GroupHarness({"t1": 4, "t2": 3}, config=config)
        self.assignor = assignor

    def _members(self) -> dict[str, Member]:
        try:
            description = self.harness.coordinator.describe(self.harness.group_id)
        except GroupIdNotFound:
            return {}
        return {m.member.member_id: m.member for m in description.members}

    def _live(self) -> list[str]:
        return sorted(self.harness.clients)

    @rule(name=st.sampled_from(NAMES), subscription=st.sampled_from(SUBSCRIPTIONS))
    def join(self, name: str, subscription: tuple[str, ...]) -> None:
        if name in self.harness.clients:
            return
        instance = name if name.startswith("s") else None
        try:
            self.harness.join(name, *subscription, instance_id=instance, assignor=self.assignor)
        except UnreleasedInstanceId:
            assert instance is not None  # a crashed static member's session is still open

    @precondition(lambda self: self.harness.clients)
    @rule(data=st.data(), deliver=st.booleans())
    def heartbeat(self, data: st.DataObject, deliver: bool) -> None:
        name = data.draw(st.sampled_from(self._live()))
        self.harness.heartbeat(name, deliver=deliver)

    @rule(lost=st.sets(st.sampled_from(NAMES)))
    def round_of_heartbeats(self, lost: set[str]) -> None:
        for name in self._live():
            self.harness.heartbeat(name, deliver=name not in lost)

    @precondition(lambda self: self.harness.clients)
    @rule(data=st.data())
    def leave(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(self._live()))
        self.harness.leave(name, static=name.startswith("s"))

    @precondition(lambda self: self.harness.clients)
    @rule(data=st.data())
    def crash(self, data: st.DataObject) -> None:
        self.harness.crash(data.draw(st.sampled_from(self._live())))

    @rule()
    def time_passes(self) -> None:
        # Live clients heartbeat first, so only silent (crashed) members can expire.
        for name in self._live():
            self.harness.heartbeat(name)
        self.harness.advance(SESSION_MS * 6 // 10)

    @rule(topic=st.sampled_from(["t1", "t2", "t3"]))
    def topic_grows(self, topic: str) -> None:
        self.harness.topics[topic] = self.harness.topics.get(topic, 0) + 1

    @rule()
    def everyone_heartbeats_until_stable(self) -> None:
        if not self.harness.clients:
            return
        # Silent members must expire first, or their partitions stay reserved for them.
        for _ in range(3):
            self.time_passes()
        self.harness.settle(rounds=12)
        description = self.harness.coordinator.describe(self.harness.group_id)
        for member in description.members:
            assert member.member.assigned == member.target
            assert not member.member.pending_revocation
        by_id = {c.member_id: c for c in self.harness.clients.values()}
        for member in description.members:
            client = by_id[member.member.member_id]
            assert client.owned - client.revoking == member.target

    @invariant()
    def coordinator_never_double_assigns(self) -> None:
        holds = [tp for m in self._members().values() for tp in m.holds]
        assert len(holds) == len(set(holds)), holds

    @invariant()
    def clients_never_consume_the_same_partition(self) -> None:
        owned = [tp for parts in self.harness.owned().values() for tp in parts]
        assert len(owned) == len(set(owned)), self.harness.owned()

    @invariant()
    def clients_consume_only_what_the_coordinator_reserves_for_them(self) -> None:
        members = self._members()
        for client in self.harness.clients.values():
            if client.owned:
                assert client.owned <= members[client.member_id].holds


GroupMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestGroupMachine = GroupMachine.TestCase


class LongGroupMachine(GroupMachine):
    pass


LongGroupMachine.TestCase.settings = settings(
    max_examples=1500,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLongGroupMachine = pytest.mark.slow(LongGroupMachine.TestCase)


def test_harness_join_returns_a_response() -> None:
    harness = GroupHarness({"t": 2})
    assert isinstance(harness.join("a", "t"), HeartbeatResponse)
