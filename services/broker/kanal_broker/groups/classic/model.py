"""A classic group's state: members with their opaque protocol metadata, the generation,
the leader, and the members' pending long polls (JoinGroup and SyncGroup answers).

Nothing here is persisted: classic membership lives in the coordinator's memory only, and
after a failover members rejoin the new coordinator (their UNKNOWN_MEMBER_ID tells them to).
A pending poll is an asyncio future that always gets a *result* - an answer or the
KanalError to send - never an exception, so a poll whose caller went away leaves nothing
unretrieved behind.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from enum import StrEnum

from kanal.errors import KanalError


class ClassicState(StrEnum):
    EMPTY = "Empty"
    PREPARING_REBALANCE = "PreparingRebalance"
    """Waiting for the known members to (re)join."""
    COMPLETING_REBALANCE = "CompletingRebalance"
    """The generation is formed; waiting for the leader's assignment (SyncGroup)."""
    STABLE = "Stable"


@dataclass(frozen=True, slots=True)
class JoinAnswer:
    generation: int
    protocol_type: str
    protocol_name: str
    leader: str
    member_id: str
    members: tuple[tuple[str, str | None, bytes], ...]
    """(member id, instance id, metadata) of every member, for the leader; () for others."""


@dataclass(frozen=True, slots=True)
class SyncAnswer:
    protocol_type: str
    protocol_name: str
    assignment: bytes


JoinOutcome = JoinAnswer | KanalError
SyncOutcome = SyncAnswer | KanalError


@dataclass(slots=True)
class ClassicMember:
    member_id: str
    instance_id: str | None
    client_id: str
    client_host: str
    session_timeout_ms: int
    rebalance_timeout_ms: int
    protocols: tuple[tuple[str, bytes], ...]
    """(name, metadata) by the member's preference."""
    assignment: bytes = b""
    session_deadline_ms: int = 0
    join_waiter: asyncio.Future[JoinOutcome] | None = None
    sync_waiter: asyncio.Future[SyncOutcome] | None = None

    @property
    def protocol_names(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.protocols)

    def metadata_for(self, protocol_name: str) -> bytes:
        return next((m for name, m in self.protocols if name == protocol_name), b"")

    def answer_join(self, outcome: JoinOutcome) -> None:
        waiter, self.join_waiter = self.join_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(outcome)

    def answer_sync(self, outcome: SyncOutcome) -> None:
        waiter, self.sync_waiter = self.sync_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(outcome)


@dataclass(slots=True)
class ClassicGroup:
    group_id: str
    protocol_type: str = ""
    state: ClassicState = ClassicState.EMPTY
    generation: int = 0
    protocol_name: str = ""
    leader: str | None = None
    members: dict[str, ClassicMember] = field(default_factory=dict)
    """In join order: the first joiner leads when the leader is gone."""
    join_deadline_ms: int | None = None
    """While preparing: when the join phase ends even if known members have not rejoined."""
    initial_join_ends_ms: int | None = None
    """While the first rebalance of an empty group waits for more members: its latest end."""
    pending_sync: set[str] = field(default_factory=set)
    """Members of the current generation that have not sent SyncGroup yet."""
    sync_deadline_ms: int | None = None
    """When members still in `pending_sync` are removed and the group rebalances."""
    empty_since_ms: int | None = None
    """When the last member went (None while it has members)."""

    def member_by_instance(self, instance_id: str) -> ClassicMember | None:
        return next((m for m in self.members.values() if m.instance_id == instance_id), None)

    @property
    def rebalance_timeout_ms(self) -> int:
        return max((m.rebalance_timeout_ms for m in self.members.values()), default=0)

    def all_rejoined(self) -> bool:
        return all(m.join_waiter is not None for m in self.members.values())

    def common_protocols(self) -> frozenset[str]:
        """Protocol names every member supports."""
        names: frozenset[str] | None = None
        for member in self.members.values():
            names = member.protocol_names if names is None else names & member.protocol_names
        return names or frozenset()

    def select_protocol(self) -> str:
        """Kafka's vote: each member votes for its most preferred common protocol; the most
        votes win, ties broken by name."""
        common = self.common_protocols()
        votes: dict[str, int] = {}
        for member in self.members.values():
            choice = next(name for name, _ in member.protocols if name in common)
            votes[choice] = votes.get(choice, 0) + 1
        return min(votes, key=lambda name: (-votes[name], name))

    def fail_waiters(self, error: KanalError) -> None:
        for member in self.members.values():
            member.answer_join(error)
            member.answer_sync(error)
