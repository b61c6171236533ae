"""Idempotent produce against real broker processes: a retried batch is stored once and
answered with its original offset, gaps and fenced epochs are refused, and the producer
state survives a restart (clean and kill -9) and a leader failover."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
import pytest
from kanal.devcluster.etcd import EtcdProcess
from kanal.errors import InvalidProducerEpoch, OutOfOrderSequenceNumber
from kanal.v1 import broker_pb2, broker_pb2_grpc
from kanal_broker.log.testing import build_batch
from kanal_broker.testing import (
    FAST_REPLICATION_ARGS,
    BrokerProcess,
    ClusterWriter,
    produce_request,
    read_stored_log,
    wait_for_leadership,
)

from .conftest import CLUSTER_ID

if TYPE_CHECKING:
    from kanal.v1.broker_pb2_grpc import BrokerAsyncStub as Stub

TOPIC = "idempotent"
PRODUCER_ID = 1000

StartBroker = Callable[[int], BrokerProcess]


@pytest.fixture
def brokers(etcd: EtcdProcess, tmp_path: Path) -> Iterator[StartBroker]:
    """Start broker `id` (again) on its own data directory; all stopped at the end."""
    started: dict[int, BrokerProcess] = {}

    def start(broker_id: int) -> BrokerProcess:
        process = BrokerProcess(broker_id=broker_id, data_dir=tmp_path / f"broker-{broker_id}",
                                etcd_endpoint=etcd.endpoint, cluster_id=CLUSTER_ID,
                                extra_args=(*FAST_REPLICATION_ARGS,
                                            "--controlled-shutdown-timeout-ms", "0"))
        process.start()
        started[broker_id] = process
        return process

    try:
        yield start
    finally:
        for process in started.values():
            process.stop()


@asynccontextmanager
async def connect(broker: BrokerProcess) -> AsyncIterator[Stub]:
    async with grpc.aio.insecure_channel(broker.endpoint) as channel:
        yield broker_pb2_grpc.BrokerStub(channel)


def batch(seq: int, *, count: int = 2, epoch: int = 0) -> bytes:
    return build_batch([(None, f"s{seq + i}".encode()) for i in range(count)],
                       timestamp_ms=int(time.time() * 1000), producer_id=PRODUCER_ID,
                       producer_epoch=epoch, base_sequence=seq)


async def send(stub: Stub, records: bytes, *, acks: int = -1
               ) -> broker_pb2.PartitionProduceResponse:
    reply = await stub.Produce(produce_request(TOPIC, 0, records, acks=acks))
    return reply.topics[0].partitions[0]


async def offset_of(stub: Stub, records: bytes) -> int:
    answer = await send(stub, records)
    assert answer.error_code == 0, answer.error_message
    return answer.base_offset


def stored_offsets(broker: BrokerProcess) -> list[int]:
    return sorted(read_stored_log(broker.data_dir / f"{TOPIC}-0").batches)


async def test_duplicates_gaps_and_epochs(brokers: StartBroker, writer: ClusterWriter) -> None:
    broker = brokers(1)
    await writer.create_topic(TOPIC, replicas=[1])
    async with connect(broker) as stub:
        await wait_for_leadership(stub, TOPIC)
        assert await offset_of(stub, batch(0)) == 0
        assert await offset_of(stub, batch(2)) == 2
        assert await offset_of(stub, batch(0)) == 0  # a retry: the original offset
        assert await offset_of(stub, batch(2)) == 2
        gap = await send(stub, batch(6))
        assert (gap.error_code, gap.base_offset) == (OutOfOrderSequenceNumber.code, -1)
        assert await offset_of(stub, batch(0, epoch=1)) == 4
        fenced = await send(stub, batch(4, epoch=0))
        assert fenced.error_code == InvalidProducerEpoch.code
    broker.stop()
    assert stored_offsets(broker) == [0, 2, 4]


@pytest.mark.parametrize("crash", [False, True])
async def test_state_survives_a_broker_restart(brokers: StartBroker, writer: ClusterWriter,
                                               crash: bool) -> None:
    broker = brokers(1)
    await writer.create_topic(TOPIC, replicas=[1])
    async with connect(broker) as stub:
        await wait_for_leadership(stub, TOPIC)
        for seq in range(0, 6, 2):
            await offset_of(stub, batch(seq))
    if crash:
        broker.kill()
    else:
        broker.stop()
    broker = brokers(1)
    async with connect(broker) as stub:
        await wait_for_leadership(stub, TOPIC)
        assert await offset_of(stub, batch(4)) == 4
        assert (await send(stub, batch(8))).error_code == OutOfOrderSequenceNumber.code
        assert await offset_of(stub, batch(6)) == 6
    broker.stop()
    assert stored_offsets(broker) == [0, 2, 4, 6]


async def test_state_survives_a_leader_failover(brokers: StartBroker,
                                                writer: ClusterWriter) -> None:
    replicas = {i: brokers(i) for i in (1, 2, 3)}
    await writer.create_topic(TOPIC, replicas=[1, 2, 3], configs={"min.insync.replicas": "2"})
    async with connect(replicas[1]) as stub:
        await wait_for_leadership(stub, TOPIC)
        for seq in range(0, 8, 2):
            await offset_of(stub, batch(seq))  # acks=all: every ISR member holds it
    replicas[1].kill()
    # The controller's move: broker 2 leads in epoch 1.
    await writer.set_partition_state(TOPIC, 0, leader=2, leader_epoch=1, isr=[2, 3])
    async with connect(replicas[2]) as stub:
        await wait_for_leadership(stub, TOPIC)
        # The producer never saw the answer for sequence 6 and retries it on the new leader.
        assert await offset_of(stub, batch(6)) == 6
        assert await offset_of(stub, batch(8)) == 8
    for broker_id in (2, 3):
        replicas[broker_id].stop()
        assert stored_offsets(replicas[broker_id]) == [0, 2, 4, 6, 8]
