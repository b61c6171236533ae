"""The broker process under faults: kill -9 and restart, a pause longer than its session,
and a graceful SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import grpc
from kanal.devcluster.etcd import EtcdProcess
from kanal.devcluster.ports import free_port
from kanal.errors import NotLeaderForPartition
from kanal.records.header import iter_batches
from kanal.v1 import broker_pb2_grpc
from kanal_broker.log.checkpoint import CLEAN_SHUTDOWN_FILE
from kanal_broker.testing import (
    BrokerProcess,
    ClusterWriter,
    fetch_request,
    make_batch,
    produce_request,
    wait_for_leadership,
    wait_until,
)

from .conftest import BROKER_ID

StartBroker = Callable[..., BrokerProcess]


async def _produce(stub: broker_pb2_grpc.BrokerAsyncStub, topic: str, partition: int,
                   values: list[bytes]) -> tuple[int, str]:
    reply = await stub.Produce(produce_request(topic, partition, make_batch(values)))
    answer = reply.topics[0].partitions[0]
    return answer.error_code, answer.error_message


async def _read_all(stub: broker_pb2_grpc.BrokerAsyncStub, topic: str,
                    partition: int) -> dict[int, bytes]:
    """Every batch from offset 0 on, keyed by base offset (bytes after the CRC field)."""
    found: dict[int, bytes] = {}
    offset = 0
    while True:
        reply = await stub.Fetch(fetch_request(topic, partition, offset))
        answer = reply.topics[0].partitions[0]
        assert answer.error_code == 0, answer.error_message
        if not answer.records:
            return found
        for pos, header in iter_batches(answer.records):
            found[header.base_offset] = answer.records[pos + 21:pos + header.size]
            offset = header.next_offset


async def test_every_acknowledged_offset_survives_kill_9(
        broker_factory: StartBroker, writer: ClusterWriter) -> None:
    broker = broker_factory()
    acked: dict[tuple[int, int], bytes] = {}
    await writer.create_topic("durable", partitions=2, replicas=[BROKER_ID])
    async with grpc.aio.insecure_channel(broker.endpoint) as channel:
        stub: broker_pb2_grpc.BrokerAsyncStub = broker_pb2_grpc.BrokerStub(channel)
        await wait_for_leadership(stub, "durable", [0, 1])
        for i in range(60):
            batch = make_batch([f"{i}-{j}".encode() for j in range(i % 4 + 1)])
            reply = await stub.Produce(produce_request("durable", i % 2, batch))
            answer = reply.topics[0].partitions[0]
            assert answer.error_code == 0
            acked[(i % 2, answer.base_offset)] = batch[21:]
    broker.kill()

    restarted = broker_factory()
    async with grpc.aio.insecure_channel(restarted.endpoint) as channel:
        stub = broker_pb2_grpc.BrokerStub(channel)
        await wait_for_leadership(stub, "durable", [0, 1])
        stored = {(p, base): body for p in (0, 1)
                  for base, body in (await _read_all(stub, "durable", p)).items()}
        assert stored == acked
        code, _ = await _produce(stub, "durable", 0, [b"after"])
        assert code == 0


async def test_paused_past_its_session_the_broker_stops_leading_until_reelected(
        broker_factory: StartBroker, writer: ClusterWriter) -> None:
    broker = broker_factory(session_timeout_ms=1000)
    await writer.create_topic("fenced", replicas=[BROKER_ID], leader_epoch=1)
    async with grpc.aio.insecure_channel(broker.endpoint) as channel:
        stub: broker_pb2_grpc.BrokerAsyncStub = broker_pb2_grpc.BrokerStub(channel)
        await wait_for_leadership(stub, "fenced")
        assert await _produce(stub, "fenced", 0, [b"before"]) == (0, "")
        first = await writer.registration(BROKER_ID)
        assert first is not None

        broker.pause()
        try:
            async def expired() -> bool:
                return await writer.registration(BROKER_ID) is None

            await wait_until(expired, timeout_s=30, what="the paused broker's lease to expire")
        finally:
            broker.resume()

        # Whatever it learns first after waking, it must not act as leader.
        code, _ = await _produce(stub, "fenced", 0, [b"stale leader?"])
        assert code == NotLeaderForPartition.code

        async def registered_again() -> bool:
            current = await writer.registration(BROKER_ID)
            return current is not None and current[1] != first[1]

        await wait_until(registered_again, what="registration on a new lease")
        # etcd still shows the pre-pause state: not enough to lead again.
        code, _ = await _produce(stub, "fenced", 0, [b"still stale"])
        assert code == NotLeaderForPartition.code

        # The controller's move: elect it again with a new epoch.
        await writer.set_partition_state("fenced", 0, leader=BROKER_ID, leader_epoch=2,
                                         isr=[BROKER_ID])

        async def leads() -> bool:
            return (await _produce(stub, "fenced", 0, [b"after"]))[0] == 0

        await wait_until(leads, what="leadership after re-election")
        batches = await _read_all(stub, "fenced", 0)
        assert sorted(batches) == [0, 1]  # nothing the stale leader was sent got in


async def test_cut_off_from_etcd_past_its_session_the_broker_stops_leading(
        etcd: EtcdProcess, broker_factory: StartBroker, writer: ClusterWriter) -> None:
    broker = broker_factory(session_timeout_ms=1000)
    await writer.create_topic("isolated", replicas=[BROKER_ID])
    assert etcd.process is not None
    async with grpc.aio.insecure_channel(broker.endpoint) as channel:
        stub: broker_pb2_grpc.BrokerAsyncStub = broker_pb2_grpc.BrokerStub(channel)
        await wait_for_leadership(stub, "isolated")
        first = await writer.registration(BROKER_ID)
        assert first is not None
        etcd.process.send_signal(signal.SIGSTOP)
        try:
            # No keep-alive can succeed now: once the last one's TTL has run out the broker
            # must refuse, although nobody has told it anything.
            async def refuses() -> bool:
                code, _ = await _produce(stub, "isolated", 0, [b"x"])
                return code == NotLeaderForPartition.code

            await wait_until(refuses, what="the cut-off broker to stop leading")
        finally:
            etcd.process.send_signal(signal.SIGCONT)
        # Back in touch: if etcd kept the lease the broker simply leads again; if the lease
        # expired, it registers anew and waits for a re-election, which we then perform.
        reelected = False

        async def leads() -> bool:
            nonlocal reelected
            current = await writer.registration(BROKER_ID)
            if current is not None and current[1] != first[1] and not reelected:
                await writer.set_partition_state("isolated", 0, leader=BROKER_ID,
                                                 leader_epoch=1, isr=[BROKER_ID])
                reelected = True
            return (await _produce(stub, "isolated", 0, [b"y"]))[0] == 0

        await wait_until(leads, what="leadership once etcd is back")


async def test_metadata_is_followed_across_an_etcd_restart(
        etcd: EtcdProcess, broker: BrokerProcess, writer: ClusterWriter) -> None:
    async with grpc.aio.insecure_channel(broker.endpoint) as channel:
        stub: broker_pb2_grpc.BrokerAsyncStub = broker_pb2_grpc.BrokerStub(channel)
        etcd.stop()  # every watch and keep-alive stream breaks
        etcd.start()  # same ports, same data
        await writer.create_topic("after-restart", replicas=[BROKER_ID])
        await wait_for_leadership(stub, "after-restart", timeout_s=30)
        assert (await _produce(stub, "after-restart", 0, [b"x"]))[0] == 0


def test_sigterm_while_etcd_is_unreachable_still_stops(etcd: EtcdProcess,
                                                      tmp_path: Path) -> None:
    etcd.stop()
    process = BrokerProcess(broker_id=BROKER_ID, data_dir=tmp_path / "lonely",
                            etcd_endpoint=etcd.endpoint)
    process.port, process.metrics_port = free_port(), free_port()
    with open(tmp_path / "lonely.log", "wb") as out:
        process.process = subprocess.Popen(process.command(), stdout=out,
                                           stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert not process.wait_serving(timeout_s=2)  # cannot start without etcd...
        assert process.stop() == 0  # ...but SIGTERM still ends it cleanly
    finally:
        process.kill()


async def test_sigterm_closes_logs_cleanly_and_leaves_the_cluster(
        broker_factory: StartBroker, writer: ClusterWriter) -> None:
    broker = broker_factory()
    await writer.create_topic("tidy", partitions=2, replicas=[BROKER_ID])
    async with grpc.aio.insecure_channel(broker.endpoint) as channel:
        stub: broker_pb2_grpc.BrokerAsyncStub = broker_pb2_grpc.BrokerStub(channel)
        await wait_for_leadership(stub, "tidy", [0, 1])
        assert (await _produce(stub, "tidy", 1, [b"x", b"y"]))[0] == 0
    assert broker.stop() == 0
    assert await writer.registration(BROKER_ID) is None  # lease revoked, not left to expire
    for p in (0, 1):
        assert (broker.data_dir / f"tidy-{p}" / CLEAN_SHUTDOWN_FILE).exists()


async def test_sigterm_answers_parked_long_polls(
        broker_factory: StartBroker, writer: ClusterWriter) -> None:
    broker = broker_factory()
    await writer.create_topic("parked", replicas=[BROKER_ID])
    async with grpc.aio.insecure_channel(broker.endpoint) as channel:
        stub: broker_pb2_grpc.BrokerAsyncStub = broker_pb2_grpc.BrokerStub(channel)
        await wait_for_leadership(stub, "parked")
        poll = asyncio.ensure_future(stub.Fetch(
            fetch_request("parked", 0, 0, min_bytes=1, max_wait_ms=600_000)))
        await asyncio.sleep(0.3)
        assert not poll.done()
        assert await asyncio.to_thread(broker.stop) == 0
        reply = await poll  # an answer, not a cancelled call
        assert reply.topics[0].partitions[0].error_code == 0

