"""The broker's registration `brokers/<id>` on an etcd lease, kept alive.

Liveness is the lease. The broker may act as a leader only while it *knows* its lease is
alive: each successful keep-alive sent at monotonic time t, answered with TTL s, proves the
lease lives until at least t + s (etcd started counting after t). Past that deadline the
broker stops leading at once, before etcd or the watch say anything - which is what protects
a broker resumed after SIGSTOP from serving a single request as a stale leader.

When the lease is gone (keep-alive answers TTL 0, or the key is deleted), `on_lost` fires and
the broker registers again on a new lease; `revision` is then the new registration's revision.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable

from kanal.meta.documents import BrokerRegistration
from kanal.meta.etcd import Etcd, EtcdError
from kanal.meta.layout import Layout

from kanal_broker.settings import BrokerSettings

log = logging.getLogger(__name__)

_RETRY_S = 0.5


class Registration:
    def __init__(self, etcd: Etcd, layout: Layout, settings: BrokerSettings, *,
                 on_lost: Callable[[], None], on_change: Callable[[bool], None]) -> None:
        self._etcd = etcd
        self._settings = settings
        self._key = layout.broker(settings.broker_id)
        self._document = BrokerRegistration(
            broker_id=settings.broker_id,
            host=settings.advertised.host,
            port=settings.advertised.port,
            rack=settings.rack,
            metrics_port=settings.metrics_port,
            incarnation=uuid.uuid4().hex,
        ).to_json()
        self._on_lost = on_lost
        self._on_change = on_change
        self._lease: int | None = None
        self._deadline = 0.0
        self.revision = 0
        """etcd revision of the current registration's put (0 while unregistered)."""
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._reported: bool | None = None

    def holds_lease(self) -> bool:
        return self._lease is not None and time.monotonic() < self._deadline

    def _report(self) -> None:
        """Tell `on_change` when holding the lease starts or stops being true."""
        holds = self.holds_lease()
        if holds != self._reported:
            self._reported = holds
            self._on_change(holds)

    async def start(self) -> None:
        """Register (retrying until etcd answers), then keep the lease alive."""
        await self._register()
        self._task = asyncio.create_task(self._keep_alive_loop(), name="registration")

    async def stop(self) -> None:
        """Stop refreshing and revoke the lease, so the cluster sees the broker go now."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        lease, self._lease = self._lease, None
        self._report()
        if lease is not None:
            try:
                await self._etcd.revoke_lease(lease)
            except EtcdError as exc:
                log.warning("could not revoke lease %x: %s", lease, exc)

    def key_deleted(self, broker_id: int, revision: int) -> None:
        """From the metadata cache: a `brokers/<id>` key went away at `revision`."""
        # A deletion older than the current registration is the old lease's key going.
        if broker_id == self._settings.broker_id and self._lease is not None \
                and revision > self.revision:
            log.warning("registration key deleted at revision %d", revision)
            self._lose()

    def _lose(self) -> None:
        self._lease = None
        self.revision = 0
        self._on_lost()
        self._report()
        self._wake.set()

    async def _register(self) -> None:
        ttl = self._settings.lease_ttl_s
        while True:
            try:
                started = time.monotonic()
                lease, granted = await self._etcd.grant_lease(ttl)
                revision = await self._etcd.put(self._key, self._document, lease=lease)
                break
            except EtcdError as exc:
                log.warning("cannot register in etcd (%s); retrying", exc)
                await asyncio.sleep(_RETRY_S)
        self._lease, self._deadline, self.revision = lease, started + granted, revision
        log.info("registered as broker %d (lease %x, revision %d)",
                 self._settings.broker_id, lease, revision)
        self._reported = None  # a new registration is news even if the last report was True
        self._report()

    async def _keep_alive_loop(self) -> None:
        while True:
            try:
                await self._keep_alive()
            except Exception:
                # Keep the broker registered whatever went wrong; the deadline keeps it safe.
                log.exception("registration loop failed; restarting it")
                await asyncio.sleep(_RETRY_S)

    async def _keep_alive(self) -> None:
        interval = self._settings.lease_ttl_s / 3
        while True:
            if self._lease is None:
                await self._register()
            self._report()
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)
            lease = self._lease
            if lease is None:
                continue
            try:
                sent = time.monotonic()
                remaining = await self._etcd.keep_alive(lease)
            except EtcdError as exc:
                # Not lost yet: the deadline decides whether we may still lead.
                log.warning("lease keep-alive failed: %s", exc)
                continue
            if lease != self._lease:
                continue  # lost (key deleted) while the keep-alive was in flight
            if remaining > 0:
                self._deadline = sent + remaining
            else:
                log.warning("lease %x expired; registering again", lease)
                self._lose()
