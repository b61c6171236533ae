"""How a worker learns what to run: alone it runs everything; with
`kanal.client.classic_group` available (and `distributed` on) it joins its group and runs
what the leader's assignment says (see `distributed`)."""

from __future__ import annotations

import importlib.util
import logging
from typing import Protocol

from kanal_connect.worker.herder import Herder

log = logging.getLogger(__name__)


class Membership(Protocol):
    async def stop(self) -> None: ...


def classic_groups_available() -> bool:
    return importlib.util.find_spec("kanal.client.classic_group") is not None


async def start_membership(herder: Herder) -> Membership | None:
    if not herder.settings.distributed:
        herder.run_alone()
        return None
    if not classic_groups_available():
        log.warning("kanal.client.classic_group is missing: this worker runs alone and runs "
                    "every connector; do not start a second worker in group %s",
                    herder.settings.group_id)
        herder.run_alone()
        return None
    from kanal_connect.worker.distributed import DistributedMembership

    membership = DistributedMembership(herder)
    await membership.start()
    return membership
