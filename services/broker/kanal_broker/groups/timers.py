"""Session and revocation deadlines of a coordinator's members.

Deadlines are not persisted: a coordinator that loads a partition gives every member a fresh
session (and, when it is revoking, a fresh rebalance timeout) from the load time, as Kafka
does, so a failover never fences members that kept heartbeating.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kanal_broker.groups.group import ConsumerGroup
from kanal_broker.groups.member import Member, MemberState


@dataclass(slots=True)
class _GroupDeadlines:
    sessions: dict[str, int] = field(default_factory=dict)
    revocations: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Deadlines:
    _groups: dict[str, _GroupDeadlines] = field(default_factory=dict)

    def heard_from(self, group_id: str, member: Member, *, now_ms: int, session_ms: int) -> None:
        deadlines = self._groups.setdefault(group_id, _GroupDeadlines())
        deadlines.sessions[member.member_id] = now_ms + session_ms
        _track_revocation(deadlines, member, now_ms)

    def sync(self, group: ConsumerGroup, *, now_ms: int, session_ms: int) -> None:
        """Start timers for members that have none; drop timers of members that are gone."""
        deadlines = self._groups.setdefault(group.group_id, _GroupDeadlines())
        for member in group.members.values():
            deadlines.sessions.setdefault(member.member_id, now_ms + session_ms)
            _track_revocation(deadlines, member, now_ms)
        for table in (deadlines.sessions, deadlines.revocations):
            for member_id in [m for m in table if m not in group.members]:
                del table[member_id]

    def forget_group(self, group_id: str) -> None:
        self._groups.pop(group_id, None)

    def expired(self, *, now_ms: int) -> list[tuple[str, str]]:
        """(group, member) whose session or rebalance timeout has passed, in stable order."""
        due: set[tuple[str, str]] = set()
        for group_id, deadlines in self._groups.items():
            for table in (deadlines.sessions, deadlines.revocations):
                due.update((group_id, m) for m, at in table.items() if now_ms >= at)
        return sorted(due)

    def next_deadline(self) -> int | None:
        pending = [
            at
            for deadlines in self._groups.values()
            for table in (deadlines.sessions, deadlines.revocations)
            for at in table.values()
        ]
        return min(pending) if pending else None


def _track_revocation(deadlines: _GroupDeadlines, member: Member, now_ms: int) -> None:
    if member.state is MemberState.UNREVOKED_PARTITIONS:
        deadlines.revocations.setdefault(member.member_id, now_ms + member.rebalance_timeout_ms)
    else:
        deadlines.revocations.pop(member.member_id, None)
