"""Distributed mode: the worker's rounds in its classic group.

Each round: read `connect-configs` to its end, stop what the last assignment revoked, join
with what this worker runs, and - as the leader - compute every worker's next assignment
with the incremental cooperative assignor; sync, hand the assignment to the herder. A new
round starts when the coordinator asks (a worker joined or left), when the assignment says
so (revocations, or a departed worker's delay ran out), or when the leader sees the set of
connectors or tasks change. REST writes answer 409 while a round is under way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from kanal.client.classic_group import ClassicGroupMember
from kanal.errors import KanalError

from kanal_connect.storage.config_state import ConfigState
from kanal_connect.worker.assignment import Assignment
from kanal_connect.worker.assignor import AssignorMemory, Holding, assign
from kanal_connect.worker.group_protocol import PROTOCOL_TYPE, JoinMetadata, WorkerAssignment
from kanal_connect.worker.herder import Herder

log = logging.getLogger(__name__)

FIRST_ROUND_TIMEOUT_S = 120.0
RETRY_BACKOFF_S = 1.0
REBALANCE_TIMEOUT_MS = 20_000
JOIN_TIMEOUT_S = REBALANCE_TIMEOUT_MS / 1000 + 5
LEAVE_TIMEOUT_S = 5.0


class DistributedMembership:
    def __init__(self, herder: Herder) -> None:
        self.herder = herder
        s = herder.settings
        self.member = ClassicGroupMember(
            s.bootstrap, s.group_id, PROTOCOL_TYPE, session_timeout_ms=10_000,
            rebalance_timeout_ms=REBALANCE_TIMEOUT_MS, heartbeat_interval_ms=1_000,
        )
        self.memory = AssignorMemory()
        self._config_changed = asyncio.Event()
        self._shape: tuple[frozenset[str], tuple[tuple[str, int], ...]] | None = None
        self._first_round = asyncio.Event()
        self._rounds: asyncio.Task[None] | None = None
        herder.config_listeners.append(self._on_config)

    async def start(self) -> None:
        self._rounds = asyncio.create_task(self._run(), name="connect-group-rounds")
        waiter = asyncio.ensure_future(self._first_round.wait())
        await asyncio.wait([waiter, self._rounds], timeout=FIRST_ROUND_TIMEOUT_S,
                           return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if self._rounds.done():
            self._rounds.result()  # a failure to join at all stops the worker's start

    def _on_config(self, state: ConfigState) -> None:
        # Only the set of connectors and the task counts change what is assigned.
        shape = (frozenset(state.connectors),
                 tuple(sorted((c, len(t)) for c, t in state.tasks.items())))
        if shape != self._shape:
            self._shape = shape
            self._config_changed.set()

    async def _run(self) -> None:
        delay_s = 0.0
        while True:
            try:
                delay_s = await self._round()
            except asyncio.CancelledError:
                raise
            except KanalError as error:
                log.warning("group round failed (%s); joining again", error)
                await asyncio.sleep(RETRY_BACKOFF_S)
                continue
            except Exception:  # never end the rounds: a worker outside its group is lost
                log.exception("group round failed; joining again")
                await asyncio.sleep(RETRY_BACKOFF_S)
                continue
            await self._wait_for_next_round(delay_s)

    async def _round(self) -> float:
        herder, settings = self.herder, self.herder.settings
        herder.rebalancing = True
        log.debug("round: reading %s to its end", settings.config_topic)
        await herder.config_log.read_to_end()
        log.debug("round: applying the last assignment")
        await herder.reconcile_now()
        log.debug("round: joining")
        self._config_changed.clear()
        worker = herder.worker
        metadata = JoinMetadata(
            settings.id, settings.url, herder.config.offset,
            Holding(frozenset(worker.connectors), frozenset(worker.tasks)),
        )
        try:
            joined = await asyncio.wait_for(self.member.join(metadata.encode()),
                                            JOIN_TIMEOUT_S)
        except TimeoutError:
            # The coordinator answers a join within the rebalance timeout; one that does not
            # is stuck on a round that will not end: leave, and join afresh as a new member.
            log.warning("no JoinGroup answer in %.0f s; leaving and joining again",
                        JOIN_TIMEOUT_S)
            await self.member.leave()
            raise
        assignments = None
        if joined.member_id == joined.leader_id:
            assignments = self._lead(joined.members)
        mine = WorkerAssignment.decode(await self.member.sync(assignments))
        herder.set_assignment(Assignment(
            connectors=mine.holding.connectors, tasks=mine.holding.tasks,
            generation=joined.generation, leader_id=mine.leader_id,
            leader_url=mine.leader_url, members=mine.members,
        ))
        herder.rebalancing = False
        self._first_round.set()
        log.info("generation %d: this worker runs %d connectors and %d tasks (leader %s)",
                 joined.generation, len(mine.holding.connectors), len(mine.holding.tasks),
                 mine.leader_id)
        if mine.rejoin:
            return 0.0
        return mine.delay_ms / 1000 if mine.delay_ms else -1.0

    def _lead(self, members: dict[str, bytes]) -> dict[str, bytes]:
        state = self.herder.config
        decoded = {member: JoinMetadata.decode(data) for member, data in members.items()}
        by_worker = {m.worker_id: m.holding for m in decoded.values()}
        connectors = sorted(state.connectors)
        tasks = [t for t in state.all_task_ids() if t.connector not in state.inconsistent]
        plan = assign(by_worker, connectors, tasks, memory=self.memory,
                      now_ms=int(time.time() * 1000),
                      max_delay_ms=self.herder.settings.scheduled_rebalance_max_delay_ms)
        log.info("leader's plan for %d workers: rejoin=%s, delay %d ms", len(by_worker),
                 plan.rejoin, plan.delay_ms)
        urls = {m.worker_id: m.url for m in decoded.values()}
        settings = self.herder.settings
        return {
            member: WorkerAssignment(
                settings.id, settings.url, plan.assignments[meta.worker_id], plan.rejoin,
                plan.delay_ms, urls,
            ).encode()
            for member, meta in decoded.items()
        }

    async def _wait_for_next_round(self, delay_s: float) -> None:
        """Until the coordinator, the assignment's delay or a config change asks for one.
        `delay_s` 0 rejoins at once (after the herder stopped what was revoked)."""
        if delay_s == 0:
            await self.herder.reconcile_now()
            return
        waiters = [asyncio.ensure_future(self.member.rebalance_needed.wait())]
        if self.herder.is_leader:
            waiters.append(asyncio.ensure_future(self._config_changed.wait()))
        try:
            await asyncio.wait(waiters, timeout=delay_s if delay_s > 0 else None,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def stop(self) -> None:
        if self._rounds is not None:
            self._rounds.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._rounds
        log.debug("group rounds stopped")
        # Stop the work first, so no task runs after the group has moved it elsewhere.
        await self.herder.stop_work()
        log.debug("connectors and tasks stopped; leaving the group")
        # A leave the coordinator is slow to answer is not waited for: the session ends it.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.member.leave(), LEAVE_TIMEOUT_S)
        await self.member.close()
