"""The classic protocol's RPCs (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) on the
GroupCoordinator service. JoinGroup and SyncGroup are long polls: the handler waits for the
rebalance to answer, bounded by the group's rebalance timeout (plus the initial delay for a
join); a caller that goes away is `abandon`ed, so its member counts as silent from then on.
Membership changes no log, so these handlers take no partition lock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from kanal.errors import KanalError, RebalanceInProgress
from kanal.v1 import common_pb2, group_pb2

from kanal_broker.groups.classic.groups import ClassicGroups
from kanal_broker.groups.classic.model import JoinAnswer, SyncAnswer
from kanal_broker.groups.classic.requests import JoinRequest, SyncRequest
from kanal_broker.groups.coordinator import GroupCoordinator
from kanal_broker.groups.server.convert import code
from kanal_broker.groups.server.ownership import now_ms

POLL_MARGIN_MS = 5_000
"""Beyond the rebalance timeout, before a long poll answers REBALANCE_IN_PROGRESS itself."""

Outcome = TypeVar("Outcome")


def _optional(message: object, field: str) -> str | None:
    value = getattr(message, field)
    return str(value) if message.HasField(field) else None  # type: ignore[attr-defined]


class ClassicHandlers:
    def __init__(self, coordinator: GroupCoordinator, wake: Callable[[], None]) -> None:
        self._coordinator = coordinator
        self._wake = wake
        """Tells the classic timer that deadlines changed."""

    async def join(self, request: group_pb2.JoinGroupRequest,
                   client_host: str) -> group_pb2.JoinGroupResponse:
        core = JoinRequest(
            group_id=request.group_id, member_id=request.member_id,
            instance_id=_optional(request, "group_instance_id"),
            protocol_type=request.protocol_type,
            protocols=tuple((p.name, p.metadata) for p in request.protocols),
            session_timeout_ms=request.session_timeout_ms,
            rebalance_timeout_ms=request.rebalance_timeout_ms,
            client_id=request.client_id, client_host=client_host)
        try:
            groups = self._coordinator.classic_groups(request.group_id, joining=True)
            waiter = groups.join(core, now_ms=now_ms())
        except KanalError as error:
            return _join_refused(request, error)
        finally:
            self._wake()
        bound_ms = (max(core.rebalance_timeout_ms, core.session_timeout_ms) + POLL_MARGIN_MS
                    + self._coordinator.config.initial_rebalance_delay_ms)
        outcome = await self._wait(groups, request.group_id, waiter, bound_ms)
        if isinstance(outcome, KanalError):
            return _join_refused(request, outcome)
        return _joined(outcome)

    async def sync(self, request: group_pb2.SyncGroupRequest) -> group_pb2.SyncGroupResponse:
        leader_sent = bool(request.assignments)
        core = SyncRequest(
            group_id=request.group_id, generation=request.generation_id,
            member_id=request.member_id, instance_id=_optional(request, "group_instance_id"),
            protocol_type=request.protocol_type, protocol_name=request.protocol_name,
            assignments={a.member_id: a.assignment for a in request.assignments}
            if leader_sent else None)
        try:
            groups = self._coordinator.classic_groups(request.group_id)
            waiter = groups.sync(core, now_ms=now_ms())
            group = groups.get(request.group_id)
            bound_ms = (group.rebalance_timeout_ms if group else 0) + POLL_MARGIN_MS
        except KanalError as error:
            return group_pb2.SyncGroupResponse(error_code=code(error), error_message=error.message)
        finally:
            self._wake()
        outcome = await self._wait(groups, request.group_id, waiter, bound_ms)
        if isinstance(outcome, KanalError):
            return group_pb2.SyncGroupResponse(error_code=code(outcome),
                                               error_message=outcome.message)
        return _synced(outcome)

    def heartbeat(self, request: group_pb2.HeartbeatRequest) -> group_pb2.HeartbeatResponse:
        try:
            self._coordinator.classic_groups(request.group_id).heartbeat(
                request.group_id, generation=request.generation_id, member_id=request.member_id,
                instance_id=_optional(request, "group_instance_id"), now_ms=now_ms())
        except KanalError as error:
            return group_pb2.HeartbeatResponse(error_code=code(error), error_message=error.message)
        finally:
            self._wake()
        return group_pb2.HeartbeatResponse()

    def leave(self, request: group_pb2.LeaveGroupRequest) -> group_pb2.LeaveGroupResponse:
        try:
            self._coordinator.classic_groups(request.group_id).leave(
                request.group_id, member_id=request.member_id,
                instance_id=_optional(request, "group_instance_id"), now_ms=now_ms())
        except KanalError as error:
            return group_pb2.LeaveGroupResponse(error_code=code(error),
                                                error_message=error.message)
        finally:
            self._wake()
        return group_pb2.LeaveGroupResponse()

    async def _wait(self, groups: ClassicGroups, group_id: str,
                    waiter: asyncio.Future[Outcome], bound_ms: int) -> Outcome | KanalError:
        try:
            return await asyncio.wait_for(asyncio.shield(waiter), bound_ms / 1000)
        except TimeoutError:
            groups.abandon(group_id, waiter, now_ms=now_ms())  # type: ignore[arg-type]
            return RebalanceInProgress("the rebalance did not complete in time: join again")
        except asyncio.CancelledError:  # the caller went away
            groups.abandon(group_id, waiter, now_ms=now_ms())  # type: ignore[arg-type]
            raise
        finally:
            self._wake()


def _join_refused(request: group_pb2.JoinGroupRequest,
                  error: KanalError) -> group_pb2.JoinGroupResponse:
    return group_pb2.JoinGroupResponse(error_code=code(error), error_message=error.message,
                                       member_id=request.member_id)


def _joined(answer: JoinAnswer) -> group_pb2.JoinGroupResponse:
    return group_pb2.JoinGroupResponse(
        error_code=common_pb2.NONE, generation_id=answer.generation,
        protocol_type=answer.protocol_type, protocol_name=answer.protocol_name,
        leader=answer.leader, member_id=answer.member_id,
        members=[group_pb2.JoinGroupMember(member_id=member_id, group_instance_id=instance_id,
                                           metadata=metadata)
                 for member_id, instance_id, metadata in answer.members])


def _synced(answer: SyncAnswer) -> group_pb2.SyncGroupResponse:
    return group_pb2.SyncGroupResponse(protocol_type=answer.protocol_type,
                                       protocol_name=answer.protocol_name,
                                       assignment=answer.assignment)
