"""Controlled shutdown (Kafka's): a stopping broker hands its leaderships over first.

The broker asks with its id and broker epoch (the revision of its registration put). The
controller remembers the broker as *shutting down* - by the registration's incarnation, so
the mark goes with that registration: a restarted broker registers a new incarnation and is
a candidate again - and reconciles at once. While marked, the broker counts as departed for
leader election (`leadership.elect_around_shutdown`) and may not rejoin an ISR
(`eligible`). The answer lists the partitions it still leads; the broker asks again until
that list is empty or its timeout passes.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from kanal.errors import BrokerNotAvailable
from kanal.meta.documents import BrokerRegistration
from kanal.meta.etcd import Etcd
from kanal.meta.layout import Layout
from kanal.types import BrokerId

from kanal_controller.catalog import Catalog, parse_registration
from kanal_controller.fenced_writes import FencedWriter

log = logging.getLogger(__name__)


class ShuttingDown:
    """The brokers in controlled shutdown, each as (id, incarnation of its registration)."""

    def __init__(self, live_brokers: Callable[[], Mapping[BrokerId, BrokerRegistration]]
                 ) -> None:
        self._live_brokers = live_brokers
        self._marked: dict[BrokerId, str] = {}

    def mark(self, registration: BrokerRegistration) -> None:
        self._marked[BrokerId(registration.broker_id)] = registration.incarnation

    def forget_departed(self) -> None:
        """Drop the marks whose registration went. Called on every change of the live set,
        so that a broker that deregisters and registers again is seen as new even when both
        events arrive before anything asks `ids`."""
        live = self._live_brokers()
        self._marked = {b: inc for b, inc in self._marked.items()
                        if b in live and live[b].incarnation == inc}

    def ids(self) -> frozenset[int]:
        """The marked brokers whose marked registration is still the live one."""
        self.forget_departed()
        return frozenset(self._marked)

    def eligible(self) -> Mapping[BrokerId, BrokerRegistration]:
        """The live brokers that may join an ISR: the live ones not shutting down."""
        marked = self.ids()
        return {b: r for b, r in self._live_brokers().items() if b not in marked}


class ControlledShutdown:
    def __init__(self, *, etcd: Etcd, layout: Layout, catalog: Catalog, writer: FencedWriter,
                 shutting_down: ShuttingDown,
                 reconcile: Callable[[], Awaitable[bool]]) -> None:
        self._etcd = etcd
        self._layout = layout
        self._catalog = catalog
        self._writer = writer
        self._shutting_down = shutting_down
        self._reconcile = reconcile

    async def request(self, broker_id: int, broker_epoch: int) -> list[tuple[str, int]]:
        """Mark the broker, move what can move, and answer the (topic, partition)s it still
        leads although another live replica is in sync (a lost write race; ask again).
        Partitions with no successor stay with it and are not listed. Raises NotController
        when not active, BrokerNotAvailable for a stale epoch."""
        self._writer.fence()
        entry = await self._etcd.get(self._layout.broker(broker_id))
        registration = parse_registration(entry) if entry is not None else None
        if entry is None or registration is None or entry.mod_revision != broker_epoch:
            raise BrokerNotAvailable(
                f"broker {broker_id} epoch {broker_epoch} is not its live registration")
        if BrokerId(broker_id) not in self._shutting_down.ids():
            log.info("broker %d is shutting down: moving its leaderships", broker_id)
        self._shutting_down.mark(registration)
        await self._reconcile()
        successors = self._shutting_down.eligible()
        return [(p.topic, p.partition) for p in await self._catalog.partitions()
                if p.state.leader == broker_id
                and any(BrokerId(b) in successors for b in p.state.isr if b != broker_id)]
