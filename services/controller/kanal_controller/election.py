"""Controller election through etcd.

Each controller holds a session (an etcd lease), registers `controllers/<id>` on it and
campaigns for `controller/leader` with a create-if-absent transaction on the same lease. The
winner's epoch is the leader key's create_revision. Standbys watch the leader key and campaign
again when it is deleted (its holder's lease was revoked or expired).

A controller steps down the moment it cannot prove its session is alive (a failed keep-alive),
before etcd expires the lease: fencing (see `fenced_writes`) makes a late write harmless
anyway, but stepping down early keeps a stale controller from answering as the active one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from kanal.meta.documents import ControllerLease
from kanal.meta.etcd import Etcd, EtcdError, EventKind, Get, Put, key_absent
from kanal.meta.layout import Layout

from kanal_controller.fenced_writes import Fence

log = logging.getLogger(__name__)

_RETRY_DELAY_S = 0.5


@dataclass(frozen=True, slots=True)
class ActiveController:
    info: ControllerLease
    epoch: int


class SessionLost(Exception):
    """The lease could not be refreshed: this controller's session may be gone."""


class Election:
    def __init__(self, etcd: Etcd, layout: Layout, me: ControllerLease, *, ttl_s: int,
                 on_change: Callable[[], None]) -> None:
        self._etcd = etcd
        self._layout = layout
        self._me = me
        self._ttl_s = ttl_s
        self._on_change = on_change
        self._fence: Fence | None = None
        self._active: ActiveController | None = None
        self._lease: int | None = None

    @property
    def fence(self) -> Fence | None:
        """Set while this controller is the active one."""
        return self._fence

    @property
    def active(self) -> ActiveController | None:
        """The active controller as last seen (this one or another); None when unknown."""
        return self._active

    @property
    def is_active(self) -> bool:
        return self._fence is not None

    async def run(self) -> None:
        """Hold a session and campaign, forever; a lost session starts a fresh one."""
        while True:
            try:
                await self._session()
            except* Exception as group:
                # Any failure ends the session; fencing keeps a retry from doing harm.
                log.warning("controller session ended: %r", group.exceptions[0])
            finally:
                self._step_down()
                await self._release_lease()
            await asyncio.sleep(_RETRY_DELAY_S)

    async def resign(self) -> None:
        """Give up leadership now (graceful shutdown): revoking the lease deletes the leader
        key at once, so a standby takes over without waiting for the TTL."""
        self._step_down()
        await self._release_lease()

    async def _session(self) -> None:
        self._lease, _ = await self._etcd.grant_lease(self._ttl_s)
        await self._etcd.put(
            self._layout.controller(self._me.controller_id), self._me.to_json(), lease=self._lease
        )
        async with asyncio.TaskGroup() as group:
            group.create_task(self._keep_alive(self._lease), name="controller-keepalive")
            group.create_task(self._campaign(self._lease), name="controller-campaign")

    async def _keep_alive(self, lease: int) -> None:
        interval = self._ttl_s / 3
        while True:
            await asyncio.sleep(interval)
            try:
                ttl = await asyncio.wait_for(self._etcd.keep_alive(lease), interval)
            except (EtcdError, TimeoutError) as exc:
                raise SessionLost(f"keep-alive of lease {lease:x} failed: {exc!r}") from exc
            if ttl <= 0:
                raise SessionLost(f"lease {lease:x} expired")

    async def _campaign(self, lease: int) -> None:
        key = self._layout.controller_leader
        value = self._me.to_json()
        while True:
            result = await self._etcd.txn(
                [key_absent(key)], [Put(key, value, lease=lease)], failure=[Get(key)]
            )
            holder = None if result.succeeded else result.reads[0]
            if result.succeeded:
                self._become_active(Fence(key, result.revision, value))
            elif holder is None:
                continue  # deleted between the compare and the read: campaign again
            elif holder.lease == lease:
                # Still ours: a watch broke while we were active. Same key, same epoch.
                self._become_active(Fence(key, holder.create_revision, holder.value))
            else:
                self._set_active(ActiveController(ControllerLease.from_json(holder.value),
                                                  holder.create_revision))
            await self._wait_until_leader_key_deleted(result.revision + 1)
            self._step_down()
            self._set_active(None)

    async def _wait_until_leader_key_deleted(self, start_revision: int) -> None:
        key = self._layout.controller_leader
        async for event in self._etcd.watch(key, prefix=False, start_revision=start_revision):
            if event.kind is EventKind.DELETE:
                return

    def _become_active(self, fence: Fence) -> None:
        self._fence = fence
        log.info("controller %s is active (epoch %d)", self._me.controller_id, fence.epoch)
        self._set_active(ActiveController(self._me, fence.epoch))

    def _step_down(self) -> None:
        if self._fence is None:
            return
        log.info("controller %s steps down (epoch %d)", self._me.controller_id, self._fence.epoch)
        self._fence = None
        self._active = None
        self._on_change()

    def _set_active(self, active: ActiveController | None) -> None:
        self._active = active
        self._on_change()

    async def _release_lease(self) -> None:
        lease, self._lease = self._lease, None
        if lease is None:
            return
        with contextlib.suppress(EtcdError, TimeoutError):
            await asyncio.wait_for(self._etcd.revoke_lease(lease), self._ttl_s)
