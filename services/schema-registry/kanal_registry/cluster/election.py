"""Primary election through etcd: one lease-backed key names the instance that writes.

    /kanal/<cluster-id>/registry/primary   {"instance_id": ..., "url": "http://host:8081"}
                                           on the primary's lease

An instance creates the key in a transaction that succeeds only while the key is absent, on a
lease it keeps alive; the others watch the key and campaign again when it goes. When the
primary dies its lease expires (TTL seconds) and etcd deletes the key.

Fencing: the primary tracks the latest moment its lease is certainly still alive (the send
time of the last successful keep-alive plus the TTL etcd answered, minus a margin) and stops
calling itself primary at that moment, whether or not etcd is reachable. etcd expires the lease
only after that moment, so a successor can only be elected after the old primary stopped
writing; the service additionally bounds each write by the same deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kanal.meta.etcd import Entry, Etcd, EtcdError, Get, Put, key_absent

log = logging.getLogger(__name__)

_FENCE_MARGIN_S = 0.5
_RETRY_BACKOFF_S = 0.5


@dataclass(frozen=True, slots=True)
class Candidate:
    instance_id: str
    url: str
    """The advertised REST URL the other instances forward writes to."""

    def encode(self) -> bytes:
        return json.dumps({"instance_id": self.instance_id, "url": self.url}).encode()

    @classmethod
    def decode(cls, raw: bytes) -> Candidate | None:
        try:
            fields = json.loads(raw)
            return cls(str(fields["instance_id"]), str(fields["url"]))
        except (ValueError, KeyError, TypeError):
            return None


class PrimaryElection:
    def __init__(self, etcd: Etcd, key: bytes, me: Candidate, *, ttl_s: int,
                 before_leading: Callable[[], Awaitable[None]]) -> None:
        self._etcd = etcd
        self._key = key
        self._me = me
        self._ttl_s = ttl_s
        self._before_leading = before_leading
        self._leading = False
        self._lease_deadline = 0.0
        self._lease_id = 0
        self.primary: Candidate | None = None
        self.changed = asyncio.Event()
        """Set (and cleared by whoever waits) whenever `primary` changes."""

    @property
    def is_primary(self) -> bool:
        """Safe to read from any thread (the metrics server's does)."""
        return self._leading and time.monotonic() < self._lease_deadline

    def lease_remaining_s(self) -> float:
        """How much longer this instance may still write as primary."""
        return self._lease_deadline - time.monotonic()

    async def run(self) -> None:
        """Campaign forever (cancel to stop)."""
        while True:
            try:
                await self._one_lease()
            except EtcdError as exc:
                log.warning("primary election: etcd failed: %s", exc)
            except Exception:
                # Whatever broke, campaigning again is the way back; reads go on meanwhile.
                log.exception("primary election failed; campaigning again")
            self._set_primary(None, leading=False)
            await asyncio.sleep(_RETRY_BACKOFF_S)

    async def resign(self) -> None:
        """Give the key up at once (graceful shutdown), rather than after the lease's TTL."""
        self._leading = False
        if self._lease_id:
            with contextlib.suppress(EtcdError):
                await self._etcd.revoke_lease(self._lease_id)

    async def _one_lease(self) -> None:
        sent = time.monotonic()
        self._lease_id, ttl = await self._etcd.grant_lease(self._ttl_s)
        self._lease_deadline = sent + ttl - _FENCE_MARGIN_S
        keeper = asyncio.create_task(self._keep_alive(ttl), name="registry-lease")
        campaign: asyncio.Task[None] | None = None
        try:
            while not keeper.done():
                campaign = asyncio.create_task(self._campaign(), name="registry-campaign")
                await asyncio.wait([keeper, campaign], return_when=asyncio.FIRST_COMPLETED)
                if campaign.done():
                    campaign.result()
        finally:
            # Also on cancellation (shutdown): neither task may outlive this lease.
            for task in (campaign, keeper):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
        log.warning("registry instance %s lost its etcd lease", self._me.instance_id)

    async def _campaign(self) -> None:
        """Become primary and stay it (returns only when the lease is lost, via cancel), or
        follow the current primary until its key goes (then return to campaign again)."""
        result = await self._etcd.txn(
            [key_absent(self._key)],
            [Put(self._key, self._me.encode(), lease=self._lease_id)],
            [Get(self._key)],
        )
        if result.succeeded:
            await self._before_leading()
            self._set_primary(self._me, leading=True)
            log.info("registry instance %s is the primary", self._me.instance_id)
            await asyncio.Future()  # until the lease keeper ends and this task is cancelled
        current = result.reads[0] if result.reads else None
        if current is None:
            return
        self._set_primary(Candidate.decode(current.value), leading=False)
        await self._until_deleted(current)

    async def _until_deleted(self, current: Entry) -> None:
        async for event in self._etcd.watch(self._key, prefix=False,
                                            start_revision=current.mod_revision + 1):
            if event.deleted:
                self._set_primary(None, leading=False)
                return
            self._set_primary(Candidate.decode(event.entry.value), leading=False)

    async def _keep_alive(self, ttl: int) -> None:
        """Refresh the lease every third of its TTL; return when it is lost or expired."""
        while time.monotonic() < self._lease_deadline:
            await asyncio.sleep(ttl / 3)
            sent = time.monotonic()
            try:
                remaining = await asyncio.wait_for(
                    self._etcd.keep_alive(self._lease_id),
                    max(0.1, self._lease_deadline - sent))
            except (EtcdError, TimeoutError) as exc:
                log.warning("lease keep-alive failed: %s", exc)
                continue
            if remaining <= 0:
                return
            self._lease_deadline = sent + remaining - _FENCE_MARGIN_S

    def _set_primary(self, primary: Candidate | None, *, leading: bool) -> None:
        self._leading = leading
        if primary != self.primary:
            self.primary = primary
            self.changed.set()
