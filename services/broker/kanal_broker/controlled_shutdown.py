"""Controlled shutdown, the broker's side: before stopping, ask the active controller to move
every leadership this broker holds to another in-sync replica, so clients fail over to a
leader that is already elected instead of waiting for the session timeout.

The broker asks again (a new controller, a lost write race, etcd hiccups) until the
controller answers that nothing movable is left, or the timeout passes; then it stops as it
would have anyway. Its broker epoch is the revision of its registration put, which the
controller checks against etcd so that a request from a previous incarnation cannot mark the
current one as shutting down.
"""

from __future__ import annotations

import asyncio
import logging
import time

import grpc
from kanal.errors import KanalError
from kanal.v1 import controller_pb2

from kanal_broker.replication.controller_link import ControllerLink

log = logging.getLogger(__name__)

_RETRY_S = 0.2
_RPC_TIMEOUT_S = 5.0


async def controlled_shutdown(link: ControllerLink, *, broker_id: int, broker_epoch: int,
                              timeout_s: float, unreachable_s: float) -> bool:
    """True when the controller moved everything movable before `timeout_s` passed. Gives
    up early when no controller answered for `unreachable_s` in a row: a dead controller is
    replaced within a session, so longer silence means nobody will answer in time."""
    deadline = time.monotonic() + timeout_s
    last_answer = time.monotonic()
    request = controller_pb2.ControlledShutdownRequest(broker_id=broker_id,
                                                       broker_epoch=broker_epoch)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            log.warning("controlled shutdown timed out; stopping with leaderships in place")
            return False
        try:
            stub = await link.stub()
            reply = await stub.ControlledShutdown(request, timeout=min(left, _RPC_TIMEOUT_S))
        except (KanalError, grpc.RpcError) as exc:
            if time.monotonic() - last_answer > unreachable_s:
                log.warning("controlled shutdown abandoned: no controller answered for %.1f s "
                            "(%s)", unreachable_s, exc)
                return False
            log.info("controlled shutdown: controller not reachable yet (%s)", exc)
        else:
            last_answer = time.monotonic()
            if reply.error_code == 0 and not reply.partitions_remaining:
                log.info("controlled shutdown complete: leaderships moved")
                return True
            log.info("controlled shutdown: %s; asking again",
                     reply.error_message or f"{len(reply.partitions_remaining)} partitions left")
        await asyncio.sleep(min(_RETRY_S, max(0.0, deadline - time.monotonic())))
