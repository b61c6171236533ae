"""The record accumulator without a server: batching, linger, order, and memory pressure."""

from __future__ import annotations

import threading
import time

import pytest
from kanal.client.accumulator import RecordAccumulator
from kanal.client.buffer_pool import BufferPool
from kanal.client.producer_batch import AccumulatorConfig
from kanal.errors import KanalTimeoutError, MessageTooLarge
from kanal.records.reader import iter_records
from kanal.types import TopicPartition

TP = TopicPartition("t", 0)
OTHER = TopicPartition("t", 1)
LEADERS = {TP: 1, OTHER: 2}


def make(
    *, batch_size: int = 1024, linger_s: float = 60.0, memory: int = 1 << 20,
    max_request_size: int = 1 << 20,
) -> tuple[RecordAccumulator, list[int]]:
    wakes: list[int] = []
    acc = RecordAccumulator(
        AccumulatorConfig(batch_size=batch_size, linger_s=linger_s,
                          max_request_size=max_request_size, delivery_timeout_s=120.0),
        BufferPool(memory),
        lambda: wakes.append(1),
    )
    return acc, wakes


def append(acc: RecordAccumulator, value: bytes, tp: TopicPartition = TP) -> None:
    acc.append(tp, 1_000, None, value, None, 1.0)


def test_records_fill_batches_up_to_batch_size() -> None:
    acc, wakes = make(batch_size=1024)
    for i in range(40):
        append(acc, b"%03d" % i + b"x" * 97)
    batches = acc.drain(1, time.monotonic(), LEADERS.get)
    assert len(batches) > 1
    assert all(b.builder.estimated_size <= 1024 for b in batches)
    values = [r.value for b in batches for r in iter_records(b.encoded())]
    assert values == [b"%03d" % i + b"x" * 97 for i in range(40)]  # order kept
    assert wakes  # a full batch woke the sender


def test_a_batch_is_ready_when_full_or_lingered() -> None:
    acc, _ = make(batch_size=1 << 16, linger_s=0.05)
    append(acc, b"x")
    now = time.monotonic()
    check = acc.ready(now, LEADERS.get)
    assert check.nodes == frozenset() and 0 < check.next_check_s <= 0.05
    assert acc.ready(now + 0.06, LEADERS.get).nodes == frozenset({1})


def test_partitions_without_leader_ask_for_metadata() -> None:
    acc, _ = make(linger_s=0)
    append(acc, b"x")
    no_leaders: dict[TopicPartition, int] = {}
    check = acc.ready(time.monotonic(), no_leaders.get)
    assert check.unknown_leaders and not check.nodes


def test_drain_takes_only_the_nodes_partitions_and_mutes_them() -> None:
    acc, _ = make(linger_s=0)
    append(acc, b"a")
    append(acc, b"b", OTHER)
    now = time.monotonic()
    assert acc.ready(now, LEADERS.get).nodes == frozenset({1, 2})
    (batch,) = acc.drain(1, now, LEADERS.get)
    assert batch.tp == TP
    append(acc, b"c")
    assert acc.drain(1, now, LEADERS.get) == []  # muted while its request is in flight
    acc.unmute([TP])
    (later,) = acc.drain(1, now, LEADERS.get)
    assert [r.value for r in iter_records(later.encoded())] == [b"c"]


def test_requeued_batches_go_back_in_front_in_order() -> None:
    acc, _ = make(batch_size=128, linger_s=0)
    for i in range(10):
        append(acc, b"%02d" % i + b"y" * 60)
    now = time.monotonic()
    first = acc.drain(1, now, LEADERS.get)
    acc.unmute([TP])
    append(acc, b"late")
    acc.requeue(first, retry_at=now + 0.5)
    assert acc.ready(now, LEADERS.get).nodes == frozenset()  # backing off
    again = acc.drain(1, now + 1, LEADERS.get)
    values = [r.value for b in again for r in iter_records(b.encoded())]
    assert values == [b"%02d" % i + b"y" * 60 for i in range(10)] + [b"late"]


def test_max_request_size_bounds_one_partitions_share_of_a_request() -> None:
    acc, _ = make(batch_size=200, linger_s=0, max_request_size=1000)
    for _ in range(30):
        append(acc, b"z" * 100)
    drained = acc.drain(1, time.monotonic(), LEADERS.get)
    assert sum(b.builder.estimated_size for b in drained) <= 1000
    assert len(drained) >= 1


def test_send_blocks_for_memory_then_times_out() -> None:
    acc, _ = make(batch_size=1000, memory=2000, linger_s=0)
    append(acc, b"a", TP)
    append(acc, b"b", OTHER)  # the pool is spent: two batches of 1000 reserved
    started = time.monotonic()
    with pytest.raises(KanalTimeoutError):
        acc.append(TopicPartition("t", 2), 0, None, b"c", None, 0.2)
    assert time.monotonic() - started >= 0.2


def test_blocked_send_resumes_when_a_batch_completes() -> None:
    acc, _ = make(batch_size=1000, memory=1000, linger_s=0)
    append(acc, b"a")
    (batch,) = acc.drain(1, time.monotonic(), LEADERS.get)
    done = threading.Event()

    def blocked_send() -> None:
        acc.append(OTHER, 0, None, b"b", None, 10.0)
        done.set()

    thread = threading.Thread(target=blocked_send)
    thread.start()
    assert not done.wait(0.2)  # still blocked
    acc.complete([(batch, 0, -1)])
    assert done.wait(5)
    thread.join()
    assert batch.result.is_done and batch.result.base_offset == 0


def test_a_record_larger_than_max_request_size_is_refused() -> None:
    acc, _ = make(max_request_size=500)
    with pytest.raises(MessageTooLarge):
        append(acc, b"x" * 600)


def test_abort_fails_every_queued_record() -> None:
    acc, _ = make()
    future = acc.append(TP, 0, None, b"x", None, 1.0)
    acc.abort_all(KanalTimeoutError("closing"))
    assert future.failed() and isinstance(future.exception, KanalTimeoutError)
    assert not acc.has_incomplete()
