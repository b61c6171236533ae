"""Every classic group of this coordinator, and the rules of JoinGroup, SyncGroup, Heartbeat
and LeaveGroup (Kafka's GroupCoordinator semantics; transitions in `rebalance.py`).

Each call checks everything before it changes anything: a refused request (it raises a
KanalError) leaves the groups as they were. JoinGroup and SyncGroup return a future that is
answered when the rebalance gets there (at once when it already has); the caller that gives
up waiting says so (`abandon`), and the member is then counted as silent from that moment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

from kanal.errors import (
    FencedInstanceId,
    GroupMaxSizeReached,
    IllegalGeneration,
    InconsistentGroupProtocol,
    InvalidRequest,
    NotCoordinator,
    RebalanceInProgress,
    UnknownMemberId,
)

from kanal_broker.groups.classic import rebalance
from kanal_broker.groups.classic.model import (
    ClassicGroup,
    ClassicMember,
    ClassicState,
    JoinOutcome,
    SyncOutcome,
)
from kanal_broker.groups.classic.requests import (
    JoinRequest,
    SyncRequest,
    check_ids,
    validate_join,
    validate_sync,
)
from kanal_broker.groups.config import GroupCoordinatorConfig


class ClassicGroups:
    def __init__(self, config: GroupCoordinatorConfig,
                 new_member_id: Callable[[str], str]) -> None:
        self._config = config
        self._new_member_id = new_member_id
        self._groups: dict[str, ClassicGroup] = {}

    # ---- queries ----

    def get(self, group_id: str) -> ClassicGroup | None:
        return self._groups.get(group_id)

    def has_members(self, group_id: str) -> bool:
        group = self._groups.get(group_id)
        return group is not None and bool(group.members)

    def __iter__(self) -> Iterator[ClassicGroup]:
        return iter(list(self._groups.values()))

    # ---- requests ----

    def join(self, request: JoinRequest, *, now_ms: int) -> asyncio.Future[JoinOutcome]:
        validate_join(request, self._config)
        group = self._groups.get(request.group_id) or ClassicGroup(request.group_id)
        member = self._joining_member(group, request)
        self._check_protocols(group, request, member)
        waiter: asyncio.Future[JoinOutcome] = asyncio.get_running_loop().create_future()
        delay = self._config.initial_rebalance_delay_ms
        self._groups[group.group_id] = group
        if member is None:  # a new member: always a rebalance
            member = self._add(group, request, now_ms=now_ms)
            member.join_waiter = waiter
            if group.state is ClassicState.PREPARING_REBALANCE:
                rebalance.newcomer_joined(group, now_ms=now_ms, initial_delay_ms=delay)
            rebalance.prepare(group, now_ms=now_ms, initial_delay_ms=delay)
            rebalance.maybe_complete_join(group, now_ms=now_ms)
            return waiter
        if not request.member_id:  # a restarted static member: fence its predecessor
            self._replace_static(group, member, request.client_id)
        unchanged = member.protocols == request.protocols
        _update(member, request)
        formed = group.state in (ClassicState.COMPLETING_REBALANCE, ClassicState.STABLE)
        # A stable group's leader rejoins to ask for a rebalance; a restarted static member
        # (no member id) only wants its place back under its new id (Kafka's KIP-345 and
        # KIP-814: its SyncGroup then gets the stored assignment, even when it leads).
        wants_rebalance = (member.member_id == group.leader and bool(request.member_id)
                           and group.state is ClassicState.STABLE)
        if formed and unchanged and not wants_rebalance:
            # A lost answer, a static restart, or a follower rejoining for nothing.
            waiter.set_result(rebalance.join_answer(group, member))
            return waiter
        member.answer_join(RebalanceInProgress("a newer JoinGroup of this member replaced it"))
        member.join_waiter = waiter
        rebalance.prepare(group, now_ms=now_ms, initial_delay_ms=delay)
        rebalance.maybe_complete_join(group, now_ms=now_ms)
        return waiter

    def sync(self, request: SyncRequest, *, now_ms: int) -> asyncio.Future[SyncOutcome]:
        validate_sync(request)
        group, member = self._known(request.group_id, request.member_id, request.instance_id)
        if request.generation != group.generation:
            raise IllegalGeneration(
                f"generation {request.generation}, the group is at {group.generation}")
        if (request.protocol_type and request.protocol_type != group.protocol_type) or (
                request.protocol_name and request.protocol_name != group.protocol_name):
            raise InconsistentGroupProtocol(
                f"the group uses {group.protocol_type}/{group.protocol_name}")
        if group.state is ClassicState.PREPARING_REBALANCE:
            raise RebalanceInProgress(f"group {group.group_id!r} is rebalancing: join again")
        waiter: asyncio.Future[SyncOutcome] = asyncio.get_running_loop().create_future()
        member.session_deadline_ms = now_ms + member.session_timeout_ms
        group.pending_sync.discard(member.member_id)
        if not group.pending_sync:
            group.sync_deadline_ms = None
        if group.state is ClassicState.STABLE:
            waiter.set_result(rebalance.sync_answer(group, member))
            return waiter
        member.answer_sync(RebalanceInProgress("a newer SyncGroup of this member replaced it"))
        member.sync_waiter = waiter
        if member.member_id == group.leader:
            rebalance.complete_sync(group, dict(request.assignments or {}))
        return waiter

    def heartbeat(self, group_id: str, *, generation: int, member_id: str,
                  instance_id: str | None, now_ms: int) -> None:
        check_ids(("member_id", member_id), ("group_instance_id", instance_id))
        group, member = self._known(group_id, member_id, instance_id)
        if generation != group.generation:
            raise IllegalGeneration(f"generation {generation}, the group is at {group.generation}")
        member.session_deadline_ms = now_ms + member.session_timeout_ms
        if group.state is ClassicState.PREPARING_REBALANCE:
            raise RebalanceInProgress(f"group {group_id!r} is rebalancing: join again")

    def leave(self, group_id: str, *, member_id: str, instance_id: str | None,
              now_ms: int) -> None:
        check_ids(("member_id", member_id), ("group_instance_id", instance_id))
        if member_id:
            group, member = self._known(group_id, member_id, instance_id)
        elif instance_id is not None:
            group = self._existing(group_id)
            found = group.member_by_instance(instance_id)
            if found is None:
                raise UnknownMemberId(f"no member of {group_id!r} has instance {instance_id!r}")
            member = found
        else:
            raise InvalidRequest("LeaveGroup needs a member_id or a group_instance_id")
        rebalance.remove(group, member, reason="the member left", now_ms=now_ms,
                         initial_delay_ms=self._config.initial_rebalance_delay_ms)
        _note_emptiness(group, now_ms)

    def check_commit(self, group_id: str, *, member_id: str, generation: int) -> bool:
        """Whether this classic group decides the commit (it has members); raise when the
        commit is refused (Kafka: unknown member, wrong generation, or the generation is
        still waiting for its assignment)."""
        group = self._groups.get(group_id)
        if group is None or not group.members:
            return False
        member = group.members.get(member_id)
        if member is None:
            raise UnknownMemberId(f"member {member_id!r} is not in group {group_id!r}")
        if generation != group.generation:
            raise IllegalGeneration(f"generation {generation}, the group is at {group.generation}")
        if group.state is ClassicState.COMPLETING_REBALANCE:
            raise RebalanceInProgress(f"group {group_id!r} is waiting for its assignment")
        return True

    def abandon(self, group_id: str, waiter: asyncio.Future[JoinOutcome]
                | asyncio.Future[SyncOutcome], *, now_ms: int) -> None:
        """The JoinGroup/SyncGroup that `waiter` answers went away: its member's session
        counts from now (and a join phase no longer counts it as rejoined)."""
        group = self._groups.get(group_id)
        for member in group.members.values() if group else ():
            if member.join_waiter is waiter:
                member.join_waiter = None
            elif member.sync_waiter is waiter:
                member.sync_waiter = None
            else:
                continue
            member.session_deadline_ms = now_ms + member.session_timeout_ms
            return

    # ---- time and ownership ----

    def tick(self, *, now_ms: int) -> None:
        for group in list(self._groups.values()):
            rebalance.expire(group, now_ms=now_ms,
                             initial_delay_ms=self._config.initial_rebalance_delay_ms)
            _note_emptiness(group, now_ms)
            retained = self._config.offsets_retention_ms
            if group.empty_since_ms is not None and now_ms - group.empty_since_ms >= retained:
                del self._groups[group.group_id]

    def next_deadline(self) -> int | None:
        times = [t for g in self._groups.values() if (t := rebalance.next_deadline(g)) is not None]
        return min(times, default=None)

    def unload(self, is_unloaded: Callable[[str], bool]) -> None:
        """The coordinator lost these groups' partition: their waiting calls are answered
        NOT_COORDINATOR (members find the new coordinator and rejoin there)."""
        for group_id in [g for g in self._groups if is_unloaded(g)]:
            group = self._groups.pop(group_id)
            group.fail_waiters(NotCoordinator("the group's coordinator moved"))

    # ---- internals ----

    def _joining_member(self, group: ClassicGroup, request: JoinRequest) -> ClassicMember | None:
        """The existing member this join is from (None: a new member); raise when refused."""
        if request.instance_id is not None:
            holder = group.member_by_instance(request.instance_id)
            if holder is not None:
                if request.member_id and request.member_id != holder.member_id:
                    raise FencedInstanceId(
                        f"instance {request.instance_id!r} is held by another member id")
                return holder
        if not request.member_id:
            if len(group.members) >= self._config.max_group_size:
                raise GroupMaxSizeReached(f"group {group.group_id!r} is full")
            return None
        member = group.members.get(request.member_id)
        if member is None:
            raise UnknownMemberId(
                f"member {request.member_id!r} is not in group {group.group_id!r}")
        if member.instance_id is not None and request.instance_id != member.instance_id:
            raise FencedInstanceId(f"member {member.member_id!r} is a static member")
        return member

    def _check_protocols(self, group: ClassicGroup, request: JoinRequest,
                         member: ClassicMember | None) -> None:
        others = [m for m in group.members.values() if m is not member]
        if not others:
            return
        if request.protocol_type != group.protocol_type:
            raise InconsistentGroupProtocol(
                f"group {group.group_id!r} has protocol type {group.protocol_type!r}")
        common = frozenset.intersection(*(m.protocol_names for m in others))
        if not common & {name for name, _ in request.protocols}:
            raise InconsistentGroupProtocol(
                f"none of the protocols is supported by every member of {group.group_id!r}")

    def _add(self, group: ClassicGroup, request: JoinRequest, *, now_ms: int) -> ClassicMember:
        if not group.members:
            group.protocol_type = request.protocol_type
        member = ClassicMember(
            member_id=self._new_member_id(request.client_id or "member"),
            instance_id=request.instance_id, client_id=request.client_id,
            client_host=request.client_host, session_timeout_ms=request.session_timeout_ms,
            rebalance_timeout_ms=request.rebalance_timeout_ms or request.session_timeout_ms,
            protocols=request.protocols, session_deadline_ms=now_ms + request.session_timeout_ms)
        group.members[member.member_id] = member
        group.empty_since_ms = None
        return member

    def _replace_static(self, group: ClassicGroup, member: ClassicMember, client_id: str) -> None:
        """Give a restarted static member a new member id, in its predecessor's place (join
        order, leadership, pending sync, assignment): the old id is fenced from now on."""
        fenced = FencedInstanceId(f"instance {member.instance_id!r} restarted elsewhere")
        member.answer_join(fenced)
        member.answer_sync(fenced)
        old_id, new_id = member.member_id, self._new_member_id(client_id or "member")
        member.member_id = new_id
        group.members = {new_id if k == old_id else k: m for k, m in group.members.items()}
        if group.leader == old_id:
            group.leader = new_id
        if old_id in group.pending_sync:
            group.pending_sync.discard(old_id)
            group.pending_sync.add(new_id)

    def _existing(self, group_id: str) -> ClassicGroup:
        group = self._groups.get(group_id)
        if group is None:
            raise UnknownMemberId(f"group {group_id!r} has no classic members here")
        return group

    def _known(self, group_id: str, member_id: str,
               instance_id: str | None) -> tuple[ClassicGroup, ClassicMember]:
        group = self._existing(group_id)
        member = group.members.get(member_id)
        if member is None and instance_id is not None and group.member_by_instance(instance_id):
            raise FencedInstanceId(f"instance {instance_id!r} is held by another member id")
        if member is None:
            raise UnknownMemberId(f"member {member_id!r} is not in group {group_id!r}")
        if member.instance_id is not None and instance_id is not None \
                and member.instance_id != instance_id:
            raise FencedInstanceId(f"member {member_id!r} holds another instance id")
        return group, member

    def forget_empty(self, group_id: str) -> None:
        """A KIP-848 member takes the group id over: its empty classic group goes."""
        group = self._groups.get(group_id)
        if group is not None and not group.members:
            del self._groups[group_id]


def _note_emptiness(group: ClassicGroup, now_ms: int) -> None:
    """An empty group keeps its generation (so generations never repeat on this
    coordinator) until it has been empty for the offsets retention."""
    if group.members:
        group.empty_since_ms = None
    elif group.empty_since_ms is None:
        group.empty_since_ms = now_ms


def _update(member: ClassicMember, request: JoinRequest) -> None:
    member.protocols = request.protocols
    member.session_timeout_ms = request.session_timeout_ms
    member.rebalance_timeout_ms = request.rebalance_timeout_ms or request.session_timeout_ms
    member.client_id = request.client_id
    member.client_host = request.client_host
