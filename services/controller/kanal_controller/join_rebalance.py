"""Rebalance onto brokers that join (`--rebalance-on-broker-join`).

A joined broker is one whose registration was created after this controller became active
(its etcd create revision is above the controller epoch) and that holds no replica while
some partition exists. Brokers registered before are not "joined": one of them holding
nothing may be a decommissioned broker waiting to be deleted (the drain set lives in the
previous controller's memory), and moving data back onto it would be worse than missing a
rebalance (`kanal partitions reassign --rebalance` does it by hand). After the live set
changes and stays unchanged for `settle_s` (several brokers often start together: one plan
for all of them), and while no move is in progress, the controller starts a balanced plan
with the configured throttle. Brokers being drained are left out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from kanal.errors import KanalError, NotController
from kanal.meta.etcd import Etcd, EtcdError
from kanal.meta.layout import Layout

from kanal_controller.catalog import parse_registration
from kanal_controller.drains import Drains

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class JoinRebalanceSettings:
    enabled: bool = False
    throttle_bytes_per_s: int = 0
    """Follower replication throttle for the moves; 0: unthrottled."""
    settle_s: float = 3.0
    """How long the live set must stay unchanged before planning."""


class JoinRebalancer:
    def __init__(self, *, drains: Drains, etcd: Etcd, layout: Layout,
                 controller_epoch: Callable[[], int | None],
                 settings: JoinRebalanceSettings) -> None:
        self._drains = drains
        self._etcd = etcd
        self._layout = layout
        self._controller_epoch = controller_epoch
        self._settings = settings
        self._changed = asyncio.Event()

    def brokers_changed(self) -> None:
        self._changed.set()

    async def run(self) -> None:
        if not self._settings.enabled:
            return
        while True:
            await self._changed.wait()
            while True:  # wait out a burst of registrations
                self._changed.clear()
                try:
                    await asyncio.wait_for(self._changed.wait(), self._settings.settle_s)
                except TimeoutError:
                    break
            try:
                await self.rebalance_if_joined()
            except NotController:
                continue
            except (KanalError, EtcdError) as exc:
                log.warning("rebalancing onto joined brokers failed: %s", exc)
            except Exception:
                log.exception("rebalancing onto joined brokers failed")

    async def rebalance_if_joined(self) -> bool:
        """Start a balanced plan when a broker registered since this controller became
        active holds nothing; whether one began."""
        epoch = self._controller_epoch()
        if epoch is None:
            return False
        current = await self._drains.assignment()
        if not current.holders or current.moving:
            return False
        holding = {b for replicas in current.holders.values() for b in replicas}
        snapshot = await self._etcd.get_prefix(self._layout.brokers_prefix)
        newer = {r.broker_id for e in snapshot.entries if e.create_revision > epoch
                 for r in [parse_registration(e)] if r is not None}
        joined = sorted(newer - holding - self._drains.draining())
        if not joined:
            return False
        plan = await self._drains.rebalance(
            throttle=self._settings.throttle_bytes_per_s, validate_only=False)
        if plan:
            log.info("brokers %s joined: moving %d partitions onto them (throttle %d B/s)",
                     joined, len(plan), self._settings.throttle_bytes_per_s)
        return bool(plan)
