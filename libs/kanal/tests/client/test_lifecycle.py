"""Clients own their threads and tasks: close() leaves nothing running."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading

import pytest
from kanal import (
    Admin,
    AIOConsumer,
    AIOProducer,
    Consumer,
    NewTopic,
    Producer,
    TopicPartition,
)
from kanal.errors import ClientClosed, ConfigurationError

pytestmark = pytest.mark.integration


def kanal_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("kanal-")]


def test_sync_clients_join_their_threads_on_close(bootstrap: str) -> None:
    before = kanal_threads()
    admin = Admin(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic("lifecycle", 1, 1)])
    producer = Producer(bootstrap_servers=bootstrap)
    producer.send("lifecycle", b"x").get(timeout=10)
    consumer = Consumer("lifecycle", bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    assert consumer.poll(timeout_ms=5000)
    assert len(kanal_threads()) == len(before) + 3
    for client in (producer, consumer, admin):
        client.close()
        client.close()  # twice is fine
    assert kanal_threads() == before
    with pytest.raises(ClientClosed):
        producer.send("lifecycle", b"late")
    with pytest.raises(ClientClosed):
        consumer.poll()


async def test_asyncio_clients_leave_no_tasks(bootstrap: str) -> None:
    before = asyncio.all_tasks()
    producer = AIOProducer(bootstrap_servers=bootstrap)
    await producer.start()
    consumer = AIOConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    consumer.assign([TopicPartition("lifecycle-aio", 0)])
    await producer.stop()
    await consumer.stop()
    await asyncio.sleep(0)
    assert asyncio.all_tasks() == before


def test_commit_without_group_is_refused_like_kafka_python(bootstrap: str) -> None:
    with Consumer(bootstrap_servers=bootstrap) as consumer, pytest.raises(ConfigurationError):
        consumer.commit()


def test_records_buffered_at_interpreter_exit_are_sent(bootstrap: str) -> None:
    with Admin(bootstrap_servers=bootstrap) as admin:
        admin.create_topics([NewTopic("at-exit", 1, 1)])
    script = (
        "from kanal import Producer\n"
        f"p = Producer(bootstrap_servers={bootstrap!r}, linger_ms=1000)\n"
        "for i in range(100):\n"
        "    p.send('at-exit', b'%d' % i)\n"
        # no flush(), no close(): the exit hook sends them
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    with Consumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest") as consumer:
        tp = TopicPartition("at-exit", 0)
        consumer.assign([tp])
        assert consumer.end_offsets([tp]) == {tp: 100}
