"""Leader side: asking the controller to change a partition's ISR (AlterPartition).

`propose` compares the ISR the leader's view wants (laggards out, caught-up followers in)
with the committed one and sends at most one request per partition at a time. While it is in
flight the proposal counts in the "maximal ISR" (see LeaderView), so the high watermark keeps
waiting for a member being dropped and already waits for one being added. A refused or failed
request is retried no sooner than `retry_after_s`, with whatever the view wants by then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from kanal.errors import error_for_code
from kanal.meta.documents import PartitionState
from kanal.types import TopicPartition
from kanal.v1 import controller_pb2

from kanal_broker.metrics import BrokerMetrics
from kanal_broker.partition import Partition
from kanal_broker.replication.controller_link import ControllerLink
from kanal_broker.replication.failures import RpcFailure, describe
from kanal_broker.replication.leader_view import LeaderView

log = logging.getLogger(__name__)


class IsrUpdates:
    def __init__(self, *, link: ControllerLink, metrics: BrokerMetrics, lag_time_max_ms: int,
                 rpc_timeout_s: float = 5.0, retry_after_s: float = 1.0) -> None:
        self._link = link
        self._metrics = metrics
        self._lag_time_max_ms = lag_time_max_ms
        self._rpc_timeout_s = rpc_timeout_s
        self._retry_after_s = retry_after_s
        self._in_flight: dict[TopicPartition, asyncio.Task[None]] = {}
        self._not_before: dict[TopicPartition, float] = {}

    def propose(self, partition: Partition, now_ms: int) -> None:
        """Send an AlterPartition if the leader's view wants another ISR (no-op otherwise)."""
        view = partition.leader_view
        tp = partition.tp
        if (view is None or tp in self._in_flight
                or time.monotonic() < self._not_before.get(tp, 0.0)):
            return
        watermark = max(partition.offsets.high_watermark, partition.high_watermark_target)
        wanted = view.wanted_isr(high_watermark=watermark, now_ms=now_ms,
                                 lag_time_max_ms=self._lag_time_max_ms)
        if set(wanted) == set(view.isr):
            return
        view.pending_isr = wanted
        task = asyncio.get_running_loop().create_task(
            self._send(partition, view, set(view.isr), wanted),
            name=f"alter-isr-{tp.topic}-{tp.partition}")
        self._in_flight[tp] = task
        task.add_done_callback(lambda _: self._in_flight.pop(tp, None))

    async def stop(self) -> None:
        tasks = list(self._in_flight.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._link.close()

    async def _send(self, partition: Partition, view: LeaderView, before: set[int],
                    wanted: tuple[int, ...]) -> None:
        """`before` is the ISR the change was based on: the etcd watch may bring the result
        into the view before the controller's answer arrives."""
        tp = partition.tp
        try:
            state = await self._ask(tp, view, wanted)
        except RpcFailure as exc:
            log.warning("%s: ISR change %s -> %s not made: %s", tp, sorted(before),
                        list(wanted), describe(exc))
            self._not_before[tp] = time.monotonic() + self._retry_after_s
            return
        finally:
            view.pending_isr = None
        partition.isr_committed(state)
        after = set(state.isr)
        log.info("%s: ISR %s -> %s (partition epoch %d)", tp, sorted(before), state.isr,
                 state.partition_epoch)
        if before - after:
            self._metrics.isr_shrinks.inc()
        if after - before:
            self._metrics.isr_expands.inc()
        await partition.advance_high_watermark()  # a smaller ISR may commit more

    async def _ask(self, tp: TopicPartition, view: LeaderView,
                   wanted: tuple[int, ...]) -> PartitionState:
        stub = await self._link.stub()
        reply = await stub.AlterPartition(controller_pb2.AlterPartitionRequest(
            broker_id=view.leader, topics=[controller_pb2.AlterPartitionTopic(
                topic=tp.topic, partitions=[controller_pb2.AlterPartitionData(
                    partition=tp.partition, leader_epoch=view.leader_epoch,
                    partition_epoch=view.partition_epoch, new_isr=list(wanted))])]),
            timeout=self._rpc_timeout_s)
        if reply.error_code:
            raise error_for_code(reply.error_code, reply.error_message)
        result = reply.topics[0].partitions[0]
        if result.error_code:
            raise error_for_code(result.error_code, result.error_message)
        return PartitionState(leader=result.leader, leader_epoch=result.leader_epoch,
                              isr=list(result.isr), partition_epoch=result.partition_epoch)
