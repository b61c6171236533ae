"""Membership of a classic group (Kafka's JoinGroup/SyncGroup protocol) for clients that
assign work among themselves, like Kafka Connect workers (protocol_type "connect").

A round: `join(metadata)` waits until the coordinator has formed the next generation and
returns it (the leader also gets every member's metadata); then `sync(...)` - the leader
passes every member's assignment, the others None - returns this member's assignment and
starts heartbeats in the background. When the coordinator asks the members to rejoin (a
member joined or left), or this member was fenced or lost its coordinator,
`rebalance_needed` is set: call `join` again (heartbeats go on until then, so the session
stays alive while the application stops its work).

`sync` raises RebalanceInProgress, IllegalGeneration or UnknownMemberId (and sets
`rebalance_needed`) when the round it belongs to is over: join again. The coordinator is
found with FindCoordinator and found again whenever it moves; a member unknown to a new
coordinator (membership is not kept across a coordinator failover) rejoins under a new id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from kanal.client.config import parse_bootstrap
from kanal.client.group_link import GroupLink
from kanal.errors import (
    IllegalGeneration,
    KanalError,
    RebalanceInProgress,
    UnknownMemberId,
    error_for_code,
)
from kanal.v1 import group_pb2

log = logging.getLogger(__name__)

PROTOCOL_NAME = "default"
"""The one protocol this client offers (its metadata is the caller's `join` argument)."""
POLL_MARGIN_S = 30.0
"""Beyond the rebalance timeout for the JoinGroup/SyncGroup long polls: the coordinator
answers REBALANCE_IN_PROGRESS itself before that."""
LINK_TIMEOUT_S = 60.0
"""How long a call keeps looking for a coordinator that moved or is loading."""
REJOIN_CODES = frozenset({RebalanceInProgress.code, IllegalGeneration.code, UnknownMemberId.code})


@dataclass(frozen=True)
class JoinResult:
    generation: int
    member_id: str
    leader_id: str
    members: dict[str, bytes]
    """member_id -> join metadata; filled for the leader only."""


class ClassicGroupMember:
    def __init__(self, bootstrap: str, group_id: str, protocol_type: str, *,
                 session_timeout_ms: int = 10_000, rebalance_timeout_ms: int = 60_000,
                 heartbeat_interval_ms: int = 3_000,
                 group_instance_id: str | None = None) -> None:
        self.group_id = group_id
        self.protocol_type = protocol_type
        self.session_timeout_ms = session_timeout_ms
        self.rebalance_timeout_ms = rebalance_timeout_ms
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.group_instance_id = group_instance_id
        self._link = GroupLink(parse_bootstrap(bootstrap), group_id, timeout_s=LINK_TIMEOUT_S)
        self.rebalance_needed = asyncio.Event()
        """Set when the coordinator asks members to rejoin, or this member was fenced or
        lost its coordinator: call `join` again."""
        self.member_id = ""
        self.generation = -1
        self._protocol_name = PROTOCOL_NAME
        self._heartbeats: asyncio.Task[None] | None = None

    @property
    def _poll_timeout_s(self) -> float:
        return max(self.rebalance_timeout_ms, self.session_timeout_ms) / 1000 + POLL_MARGIN_S

    async def join(self, metadata: bytes) -> JoinResult:
        """Join (or rejoin) and wait for the generation to form."""
        await self._stop_heartbeats()
        self.rebalance_needed.clear()
        while True:
            request = group_pb2.JoinGroupRequest(
                group_id=self.group_id, session_timeout_ms=self.session_timeout_ms,
                rebalance_timeout_ms=self.rebalance_timeout_ms, member_id=self.member_id,
                group_instance_id=self.group_instance_id, protocol_type=self.protocol_type,
                protocols=[group_pb2.JoinGroupProtocol(name=PROTOCOL_NAME, metadata=metadata)],
                client_id=f"kanal-{self.protocol_type}")
            answer = await self._send_join(request)
            if answer.error_code == UnknownMemberId.code and self.member_id:
                self.member_id = ""  # e.g. a new coordinator after a failover: join afresh
                continue
            if answer.error_code == RebalanceInProgress.code:
                continue  # the round outlasted the coordinator's long poll: ask again
            if answer.error_code:
                raise error_for_code(answer.error_code, answer.error_message)
            break
        self.member_id = answer.member_id
        self.generation = answer.generation_id
        self._protocol_name = answer.protocol_name
        return JoinResult(generation=answer.generation_id, member_id=answer.member_id,
                          leader_id=answer.leader,
                          members={m.member_id: m.metadata for m in answer.members})

    async def _send_join(self, request: group_pb2.JoinGroupRequest
                         ) -> group_pb2.JoinGroupResponse:
        return await self._link.call(
            lambda stub: stub.JoinGroup(request, timeout=self._poll_timeout_s),
            lambda a: a.error_code)

    async def sync(self, assignments: Mapping[str, bytes] | None) -> bytes:
        """The leader passes every member's assignment, the others None; returns this
        member's own and starts heartbeating."""
        await self._stop_heartbeats()
        request = group_pb2.SyncGroupRequest(
            group_id=self.group_id, generation_id=self.generation, member_id=self.member_id,
            group_instance_id=self.group_instance_id, protocol_type=self.protocol_type,
            protocol_name=self._protocol_name,
            assignments=[group_pb2.SyncGroupAssignment(member_id=m, assignment=a)
                         for m, a in (assignments or {}).items()])
        answer = await self._link.call(
            lambda stub: stub.SyncGroup(request, timeout=self._poll_timeout_s),
            lambda a: a.error_code)
        if answer.error_code:
            self._fenced(answer.error_code)
            raise error_for_code(answer.error_code, answer.error_message)
        self._heartbeats = asyncio.create_task(self._heartbeat_forever(),
                                               name=f"classic-heartbeat-{self.group_id}")
        return answer.assignment

    async def leave(self) -> None:
        """Leave the group now (the others rebalance without waiting for a session timeout)."""
        await self._stop_heartbeats()
        if not self.member_id:
            return
        request = group_pb2.LeaveGroupRequest(group_id=self.group_id, member_id=self.member_id,
                                              group_instance_id=self.group_instance_id)
        self.member_id, self.generation = "", -1
        try:
            answer = await self._link.call(lambda stub: stub.LeaveGroup(request, timeout=10),
                                           lambda a: a.error_code)
        except KanalError as error:  # its session ends it anyway
            log.warning("leaving group %r failed: %s", self.group_id, error)
            return
        if answer.error_code and answer.error_code != UnknownMemberId.code:
            log.warning("leaving group %r: %s", self.group_id,
                        error_for_code(answer.error_code, answer.error_message))

    async def close(self) -> None:
        """Stop heartbeating and close the connections (without leaving: see `leave`)."""
        await self._stop_heartbeats()
        await self._link.close()

    async def _heartbeat_forever(self) -> None:
        request = group_pb2.HeartbeatRequest(
            group_id=self.group_id, generation_id=self.generation, member_id=self.member_id,
            group_instance_id=self.group_instance_id)
        session_s = self.session_timeout_ms / 1000
        while True:
            await asyncio.sleep(self.heartbeat_interval_ms / 1000)
            try:
                # Not asyncio.wait_for: on Python 3.11 it swallows a cancellation that comes
                # as the answer arrives, and `_stop_heartbeats` (so `join`) then waits forever
                # for a task that goes on heartbeating and keeps the stale session alive.
                async with asyncio.timeout(session_s):
                    answer = await self._link.call(
                        lambda stub: stub.Heartbeat(request, timeout=session_s),
                        lambda a: a.error_code)
            except (KanalError, TimeoutError) as error:
                log.warning("group %r: no heartbeat answer for a session: %s", self.group_id,
                            error)
                self.rebalance_needed.set()
                return
            except Exception:  # never die silently: the owner learns it must rejoin
                log.exception("group %r: heartbeat failed", self.group_id)
                self.rebalance_needed.set()
                return
            if answer.error_code == RebalanceInProgress.code:
                self.rebalance_needed.set()  # keep the session alive until the next join
            elif answer.error_code:
                self._fenced(answer.error_code)
                self.rebalance_needed.set()
                return

    def _fenced(self, code: int) -> None:
        if code in REJOIN_CODES:
            self.rebalance_needed.set()
        if code == UnknownMemberId.code:
            self.member_id = ""

    async def _stop_heartbeats(self) -> None:
        task, self._heartbeats = self._heartbeats, None
        if task is not None:
            task.cancel()
            # asyncio.wait, not `await task` under suppress(CancelledError): a cancellation
            # of our own caller (a join given up) must not be swallowed with the task's.
            await asyncio.wait({task})
