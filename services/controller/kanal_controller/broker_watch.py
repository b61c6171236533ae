"""The live broker set: `brokers/<id>` keys exist exactly while their brokers' leases live.

Read once, then kept current by a watch from the read's revision, so no change is missed; a
broken watch is followed by a fresh read. Every change calls `on_change`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

from kanal.errors import BrokerNotAvailable
from kanal.meta.documents import BrokerRegistration
from kanal.meta.etcd import Etcd, EtcdError, EventKind
from kanal.meta.layout import Layout
from kanal.types import BrokerId

from kanal_controller.catalog import parse_registration

log = logging.getLogger(__name__)

_RETRY_DELAY_S = 0.5


class LiveBrokers:
    def __init__(self, etcd: Etcd, layout: Layout, on_change: Callable[[], None]) -> None:
        self._etcd = etcd
        self._layout = layout
        self._on_change = on_change
        self._brokers: dict[BrokerId, BrokerRegistration] = {}
        self.ready = asyncio.Event()
        """Set once the first read is done: before it the live set means nothing."""

    @property
    def brokers(self) -> Mapping[BrokerId, BrokerRegistration]:
        """As last seen; empty before the first read (see `current`)."""
        return self._brokers

    def current(self) -> Mapping[BrokerId, BrokerRegistration]:
        """The live brokers, for decisions: refuses to answer before the first read, when
        an empty set would mean "unknown", not "none"."""
        if not self.ready.is_set():
            raise BrokerNotAvailable("the controller has not read the broker registrations yet")
        return self._brokers

    async def run(self) -> None:
        while True:
            try:
                await self._follow()
            except EtcdError as exc:
                log.warning("broker watch broke, reading again: %r", exc)
            await asyncio.sleep(_RETRY_DELAY_S)

    async def _follow(self) -> None:
        snapshot = await self._etcd.get_prefix(self._layout.brokers_prefix)
        current: dict[BrokerId, BrokerRegistration] = {}
        for entry in snapshot.entries:
            registration = parse_registration(entry)
            if registration is not None:
                current[BrokerId(registration.broker_id)] = registration
        first_read = not self.ready.is_set()
        self.ready.set()
        self._replace(current)
        if first_read:
            self._on_change()
        async for event in self._etcd.watch(self._layout.brokers_prefix, prefix=True,
                                            start_revision=snapshot.revision + 1):
            updated = dict(self._brokers)
            if event.kind is EventKind.DELETE:
                broker_id = self._broker_id(event.entry.key)
                if broker_id is not None:
                    updated.pop(broker_id, None)
            else:
                registration = parse_registration(event.entry)
                if registration is not None:
                    updated[BrokerId(registration.broker_id)] = registration
            self._replace(updated)

    def _broker_id(self, key: bytes) -> BrokerId | None:
        kind, parts = self._layout.classify(key)
        if kind != "brokers" or len(parts) != 1 or not parts[0].lstrip("-").isdigit():
            return None
        return BrokerId(int(parts[0]))

    def _replace(self, brokers: dict[BrokerId, BrokerRegistration]) -> None:
        if brokers == self._brokers:
            return
        arrived = brokers.keys() - self._brokers.keys()
        departed = self._brokers.keys() - brokers.keys()
        if arrived or departed:
            log.info("live brokers %s (arrived %s, departed %s)",
                     sorted(brokers), sorted(arrived), sorted(departed))
        self._brokers = brokers
        self._on_change()
