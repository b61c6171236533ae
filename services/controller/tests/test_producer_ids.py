"""AllocateProducerIds: blocks from the etcd counter never overlap, concurrent requests and a
controller restart included, and only the active controller hands them out."""

from __future__ import annotations

import asyncio
import itertools

import grpc
from kanal.devcluster.etcd import EtcdProcess
from kanal.errors import NotController
from kanal.meta.etcd import Etcd
from kanal.meta.layout import Layout
from kanal.v1 import controller_pb2, controller_pb2_grpc
from kanal_controller.app import ControllerApp
from kanal_controller.testing import controller_settings, wait_active

from .conftest import CLUSTER_ID


async def _allocate(stub: controller_pb2_grpc.ControllerAsyncStub
                    ) -> controller_pb2.AllocateProducerIdsResponse:
    return await stub.AllocateProducerIds(controller_pb2.AllocateProducerIdsRequest(broker_id=1))


def _ranges(replies: list[controller_pb2.AllocateProducerIdsResponse]) -> list[range]:
    assert all(r.error_code == 0 and r.count > 0 for r in replies)
    return sorted((range(r.first_producer_id, r.first_producer_id + r.count) for r in replies),
                  key=lambda r: r.start)


async def test_blocks_never_overlap(stub: controller_pb2_grpc.ControllerAsyncStub,
                                    etcd: EtcdProcess, controller: ControllerApp,
                                    etcd_client: Etcd, layout: Layout) -> None:
    replies = list(await asyncio.gather(*(_allocate(stub) for _ in range(8))))
    await controller.stop()
    async with ControllerApp(controller_settings(etcd.endpoint, CLUSTER_ID, "next")) as app:
        await wait_active(app)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
            replies.append(await _allocate(controller_pb2_grpc.ControllerStub(channel)))
    blocks = _ranges(replies)
    assert blocks[0].start == 0
    for before, after in itertools.pairwise(blocks):
        assert before.stop <= after.start
    stored = await etcd_client.get(layout.producer_ids_next)
    assert stored is not None and int(stored.value) == blocks[-1].stop


async def test_a_standby_refuses(etcd: EtcdProcess,
                                 stub: controller_pb2_grpc.ControllerAsyncStub) -> None:
    async with ControllerApp(controller_settings(etcd.endpoint, CLUSTER_ID, "standby")) as app, \
            grpc.aio.insecure_channel(f"127.0.0.1:{app.port}") as channel:
        reply = await _allocate(controller_pb2_grpc.ControllerStub(channel))
    assert reply.error_code == NotController.code
    assert reply.HasField("not_controller")
