"""Test support for the controller and for anything that needs one: controllers in the caller's
event loop, brokers simulated by their etcd registrations (a lease plus `brokers/<id>`, all a
controller ever sees of a broker), and polling with a deadline. Real etcd throughout."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from kanal.meta.documents import BrokerRegistration
from kanal.meta.etcd import Etcd
from kanal.meta.layout import Layout
from kanal.types import HostPort

from kanal_controller.app import ControllerApp
from kanal_controller.settings import ControllerSettings

POLL_DEADLINE_S = 20.0

_ids = itertools.count()


class NeverHappened(AssertionError):
    """A polled condition stayed false until the deadline."""


async def eventually(check: Callable[[], Awaitable[bool]], what: str,
                     deadline_s: float = POLL_DEADLINE_S) -> None:
    """Poll `check` until it is true; NeverHappened if it is not within the deadline."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while not await check():
        if loop.time() > end:
            raise NeverHappened(what)
        await asyncio.sleep(0.05)


def controller_settings(etcd_endpoint: str, cluster_id: str, controller_id: str | None = None,
                        *, session_timeout_ms: int = 2000) -> ControllerSettings:
    """Settings for a controller on free ports, metrics off, with a short session."""
    return ControllerSettings(
        controller_id=controller_id or f"c{next(_ids)}",
        port=0,
        metrics_port=0,
        etcd_endpoints=(HostPort.parse(etcd_endpoint),),
        cluster_id=cluster_id,
        session_timeout_ms=session_timeout_ms,
    )


async def wait_active(app: ControllerApp) -> None:
    async def active() -> bool:
        return app.election is not None and app.election.is_active
    await eventually(active, f"controller {app.settings.controller_id} active")


@dataclass
class SimulatedBrokers:
    """Stopping a simulated broker revokes its lease: what etcd does when a broker dies."""

    etcd: Etcd
    layout: Layout
    leases: dict[int, int] = field(default_factory=dict)

    async def start(self, broker_id: int, rack: str = "") -> None:
        lease, _ = await self.etcd.grant_lease(60)
        registration = BrokerRegistration(broker_id=broker_id, host="127.0.0.1",
                                          port=19000 + broker_id, rack=rack)
        await self.etcd.put(self.layout.broker(broker_id), registration.to_json(), lease=lease)
        self.leases[broker_id] = lease

    async def stop(self, broker_id: int) -> None:
        await self.etcd.revoke_lease(self.leases.pop(broker_id))

    async def stop_all(self) -> None:
        for broker_id in list(self.leases):
            await self.stop(broker_id)


async def metadata_state(client: Etcd, layout: Layout) -> dict[bytes, bytes]:
    """Every metadata key and value, registrations (which live on leases) excepted."""
    snapshot = await client.get_prefix(layout.root)
    skip = (layout.brokers_prefix, layout.controllers_prefix, layout.controller_leader)
    return {e.key: e.value for e in snapshot.entries if not e.key.startswith(skip)}
