"""The classic group state machine (JoinGroup/SyncGroup/Heartbeat/LeaveGroup) with a manual
clock: generations, leaders, the initial delay, members that do not rejoin, session expiry,
static members, and refusals that change nothing."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from kanal.errors import (
    FencedInstanceId,
    IllegalGeneration,
    InconsistentGroupProtocol,
    InvalidSessionTimeout,
    RebalanceInProgress,
    UnknownMemberId,
)
from kanal_broker.groups.classic.groups import ClassicGroups
from kanal_broker.groups.classic.model import ClassicState, JoinAnswer, SyncAnswer
from kanal_broker.groups.classic.requests import JoinRequest, SyncRequest
from kanal_broker.groups.config import GroupCoordinatorConfig

GROUP = "connect-cluster"
DELAY = 100
SESSION = 10_000
REBALANCE = 30_000


def groups() -> ClassicGroups:
    counter = itertools.count(1)
    config = GroupCoordinatorConfig(initial_rebalance_delay_ms=DELAY)
    return ClassicGroups(config, lambda client: f"{client}-{next(counter)}")


def join_request(member_id: str = "", metadata: bytes = b"m", *, client: str = "w",
                 instance_id: str | None = None, protocol_type: str = "connect") -> JoinRequest:
    return JoinRequest(group_id=GROUP, member_id=member_id, instance_id=instance_id,
                       protocol_type=protocol_type, protocols=(("default", metadata),),
                       session_timeout_ms=SESSION, rebalance_timeout_ms=REBALANCE,
                       client_id=client)


def joined(waiter: asyncio.Future[JoinAnswer | Exception]) -> JoinAnswer:
    assert waiter.done()
    answer = waiter.result()
    assert isinstance(answer, JoinAnswer), answer
    return answer


async def form_generation(g: ClassicGroups, count: int) -> list[JoinAnswer]:
    waiters = [g.join(join_request(metadata=b"md%d" % i, client=f"w{i}"), now_ms=i)
               for i in range(count)]
    assert not any(w.done() for w in waiters)  # the initial delay waits for more members
    g.tick(now_ms=count + DELAY)
    return [joined(w) for w in waiters]  # type: ignore[arg-type]


async def test_three_members_form_a_generation_and_the_leader_assigns() -> None:
    g = groups()
    answers = await form_generation(g, 3)
    assert {a.generation for a in answers} == {1}
    leader = answers[0].leader
    assert all(a.leader == leader for a in answers)
    by_member = {a.member_id: a for a in answers}
    assert dict((m, md) for m, _, md in by_member[leader].members) == {
        a.member_id: b"md%d" % i for i, a in enumerate(answers)}
    assert all(not a.members for a in answers if a.member_id != leader)

    followers = [g.sync(SyncRequest(GROUP, 1, a.member_id), now_ms=200)
                 for a in answers if a.member_id != leader]
    assert not any(f.done() for f in followers)  # they wait for the leader
    plan = {a.member_id: a.member_id.encode() for a in answers}
    own = g.sync(SyncRequest(GROUP, 1, leader, assignments=plan), now_ms=201)
    for waiter in [*followers, own]:
        result = waiter.result()
        assert isinstance(result, SyncAnswer)
    assert {w.result().assignment for w in [*followers, own]} == set(plan.values())  # type: ignore[union-attr]
    group = g.get(GROUP)
    assert group is not None and group.state is ClassicState.STABLE


async def stable(g: ClassicGroups, count: int) -> list[JoinAnswer]:
    answers = await form_generation(g, count)
    leader = answers[0].leader
    for a in answers:
        plan = {b.member_id: b"x" for b in answers} if a.member_id == leader else None
        g.sync(SyncRequest(GROUP, a.generation, a.member_id, assignments=plan), now_ms=500)
    return answers


async def test_a_fourth_member_makes_everyone_rejoin_with_a_new_generation() -> None:
    g = groups()
    answers = await stable(g, 3)
    newcomer = g.join(join_request(client="late"), now_ms=1_000)
    assert not newcomer.done()
    for a in answers:
        with pytest.raises(RebalanceInProgress):
            g.heartbeat(GROUP, generation=1, member_id=a.member_id, instance_id=None,
                        now_ms=1_001)
    rejoins = [g.join(join_request(a.member_id), now_ms=1_002) for a in answers]
    second = [joined(w) for w in [*rejoins, newcomer]]  # type: ignore[arg-type]
    assert {a.generation for a in second} == {2}
    assert {a.leader for a in second} == {answers[0].leader}  # the leader stays
    assert len(next(a for a in second if a.member_id == a.leader).members) == 4


async def test_a_member_that_does_not_rejoin_is_removed_at_the_rebalance_timeout() -> None:
    g = groups()
    answers = await stable(g, 2)
    leader, follower = answers[0].leader, next(a.member_id for a in answers
                                              if a.member_id != answers[0].leader)
    waiter = g.join(join_request(leader, b"new metadata"), now_ms=1_000)
    for now in range(1_000, 1_000 + REBALANCE, SESSION // 2):  # alive, but it never rejoins
        with pytest.raises(RebalanceInProgress):
            g.heartbeat(GROUP, generation=1, member_id=follower, instance_id=None, now_ms=now)
        g.tick(now_ms=now)
    g.tick(now_ms=1_000 + REBALANCE - 1)
    assert not waiter.done()
    g.tick(now_ms=1_000 + REBALANCE)
    answer = joined(waiter)  # type: ignore[arg-type]
    assert answer.generation == 2 and [m for m, _, _ in answer.members] == [leader]
    with pytest.raises(UnknownMemberId):
        g.heartbeat(GROUP, generation=2, member_id=follower, instance_id=None, now_ms=50_000)


async def test_session_expiry_removes_a_silent_member_and_rebalances() -> None:
    g = groups()
    answers = await stable(g, 2)
    alive, silent = answers[0].member_id, answers[1].member_id
    g.heartbeat(GROUP, generation=1, member_id=alive, instance_id=None, now_ms=SESSION)
    g.tick(now_ms=500 + SESSION)  # the silent one's session (from its sync at 500) is over
    with pytest.raises(RebalanceInProgress):
        g.heartbeat(GROUP, generation=1, member_id=alive, instance_id=None, now_ms=500 + SESSION)
    answer = joined(g.join(join_request(alive), now_ms=600 + SESSION))  # type: ignore[arg-type]
    assert answer.generation == 2 and answer.leader == alive
    assert [m for m, _, _ in answer.members] == [alive]
    assert silent not in (g.get(GROUP).members if g.get(GROUP) else {})  # type: ignore[union-attr]


async def test_the_leader_leaving_hands_leadership_to_the_first_remaining_member() -> None:
    g = groups()
    answers = await stable(g, 3)
    g.leave(GROUP, member_id=answers[0].leader, instance_id=None, now_ms=1_000)
    rest = [a.member_id for a in answers if a.member_id != answers[0].leader]
    waiters = [g.join(join_request(m), now_ms=1_001) for m in rest]
    second = [joined(w) for w in waiters]  # type: ignore[arg-type]
    assert {a.leader for a in second} == {rest[0]} and {a.generation for a in second} == {2}


async def test_a_restarted_static_member_takes_its_place_back_without_a_rebalance() -> None:
    g = groups()
    first = g.join(join_request(instance_id="worker-a"), now_ms=0)
    g.tick(now_ms=DELAY)
    answer = joined(first)  # type: ignore[arg-type]
    g.sync(SyncRequest(GROUP, 1, answer.member_id, assignments={answer.member_id: b"a"}),
           now_ms=DELAY)
    other = g.join(join_request(client="b"), now_ms=200)
    again = joined(g.join(join_request(answer.member_id, instance_id="worker-a"),  # type: ignore[arg-type]
                          now_ms=201))
    second = joined(other)  # type: ignore[arg-type]
    g.sync(SyncRequest(GROUP, 2, again.member_id,
                       assignments={again.member_id: b"a", second.member_id: b"b"}), now_ms=202)
    g.sync(SyncRequest(GROUP, 2, second.member_id), now_ms=202)
    # The static member restarts: it joins with an empty member id and the same instance id.
    restarted = joined(g.join(join_request(instance_id="worker-a"), now_ms=300))  # type: ignore[arg-type]
    assert restarted.generation == 2 and restarted.member_id != again.member_id
    assert restarted.leader == restarted.member_id  # it led before its restart, and still does
    assert g.sync(SyncRequest(GROUP, 2, restarted.member_id), now_ms=301).result() == \
        SyncAnswer("connect", "default", b"a")
    with pytest.raises(FencedInstanceId):  # the predecessor is fenced
        g.heartbeat(GROUP, generation=2, member_id=again.member_id, instance_id="worker-a",
                    now_ms=302)
    with pytest.raises(FencedInstanceId):
        g.join(join_request("someone-else", instance_id="worker-a"), now_ms=302)
    g.heartbeat(GROUP, generation=2, member_id=second.member_id, instance_id=None, now_ms=303)


async def test_refusals_change_nothing() -> None:
    g = groups()
    answers = await stable(g, 2)
    group = g.get(GROUP)
    assert group is not None
    before = (group.state, group.generation, group.leader, list(group.members),
              {m: (v.assignment, v.protocols) for m, v in group.members.items()})
    member = answers[0].member_id
    with pytest.raises(IllegalGeneration):
        g.heartbeat(GROUP, generation=7, member_id=member, instance_id=None, now_ms=600)
    with pytest.raises(IllegalGeneration):
        g.sync(SyncRequest(GROUP, 0, member), now_ms=600)
    with pytest.raises(UnknownMemberId):
        g.heartbeat("other", generation=1, member_id=member, instance_id=None, now_ms=600)
    with pytest.raises(UnknownMemberId):
        g.join(join_request("ghost"), now_ms=600)
    with pytest.raises(InconsistentGroupProtocol):
        g.join(join_request(protocol_type="consumer"), now_ms=600)
    with pytest.raises(InvalidSessionTimeout):
        g.join(JoinRequest(GROUP, "", None, "connect", (("default", b""),), 10, 0), now_ms=600)
    after = (group.state, group.generation, group.leader, list(group.members),
             {m: (v.assignment, v.protocols) for m, v in group.members.items()})
    assert after == before
