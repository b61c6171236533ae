"""A full uncompressed batch is built by the thread whose record did not fit, outside the
accumulator's lock (RecordAccumulator._seal / _build_sealed), and the sender never takes a
batch while it is being built."""

from __future__ import annotations

import threading
import time

from kanal.client.accumulator import RecordAccumulator
from kanal.client.buffer_pool import BufferPool
from kanal.client.producer_batch import AccumulatorConfig, ProducerBatch
from kanal.records.header import CODEC_GZIP, validate_batch
from kanal.records.reader import iter_records
from kanal.types import TopicPartition

TP = TopicPartition("t", 0)
LEADERS = {TP: 1}


def make(*, codec: int = 0, batch_size: int = 1024) -> tuple[RecordAccumulator, list[int]]:
    wakes: list[int] = []
    acc = RecordAccumulator(
        AccumulatorConfig(batch_size=batch_size, linger_s=60.0, max_request_size=1 << 20,
                          delivery_timeout_s=120.0, codec=codec),
        BufferPool(1 << 22),
        lambda: wakes.append(1),
    )
    acc.sticky["t"] = TP
    return acc, wakes


def send(acc: RecordAccumulator, value: bytes) -> None:
    """The producer's keyless path: the sticky batch first, else the general one."""
    if acc.append_sticky("t", 1_000, value, None) is None:
        acc.append(TP, 1_000, None, value, None, 1.0)


def queued(acc: RecordAccumulator) -> list[ProducerBatch]:
    """The partition's batches, oldest first (drained, so the accumulator forgets them)."""
    return acc.drain(1, time.monotonic(), LEADERS.get)


def test_a_full_batch_is_built_by_the_thread_that_filled_it() -> None:
    acc, wakes = make()
    for i in range(25):
        send(acc, b"%03d" % i + b"x" * 97)
    full, *rest = queued(acc)
    assert full.closed and not full.building
    assert full.payload is not None  # built before the sender took it
    assert [b.payload for b in rest][-1] is None  # the open tail waits for the sender
    assert validate_batch(bytes(full.payload)).records_count == full.record_count
    assert wakes  # and the sender was told


def test_the_general_path_builds_the_batch_it_finds_full() -> None:
    acc, _ = make()
    for i in range(25):
        acc.append(TP, 1_000, b"k", b"%03d" % i + b"x" * 97, None, 1.0)
    full, *_ = queued(acc)
    assert full.payload is not None and not full.building


def test_compressed_batches_are_left_to_the_sender() -> None:
    acc, _ = make(codec=CODEC_GZIP)
    for i in range(25):
        send(acc, b"%03d" % i + b"x" * 97)
    full, *_ = queued(acc)
    assert full.closed and full.payload is None


def test_a_batch_being_built_is_not_ready_drained_or_muted() -> None:
    acc, _ = make(batch_size=1 << 16)
    send(acc, b"a")
    acc.begin_flush()  # every batch is ready now, however young
    head = acc._batches[TP][0]
    head.closed = head.building = True  # as _seal leaves it until built
    now = time.monotonic()
    assert acc.ready(now, LEADERS.get).nodes == frozenset()
    assert acc.drain(1, now, LEADERS.get) == []
    head.building = False
    assert acc.ready(now, LEADERS.get).nodes == frozenset({1})  # not muted by the empty drain
    assert acc.drain(1, now, LEADERS.get) == [head]


def test_batches_behind_one_being_built_wait_for_it() -> None:
    acc, _ = make()
    for i in range(30):
        send(acc, b"%03d" % i + b"x" * 97)
    queue = acc._batches[TP]
    assert len(queue) >= 2
    first = queue[0]
    first.building = True
    acc.begin_flush()
    now = time.monotonic()
    assert acc.drain(1, now, LEADERS.get) == []  # never the later batch alone: order
    first.building = False
    assert acc.drain(1, now, LEADERS.get)[0] is first


def test_records_arrive_once_and_in_order_while_a_sender_drains_concurrently() -> None:
    acc, _ = make(batch_size=700)
    values = [b"%06d" % i for i in range(20_000)]
    done = threading.Event()

    def appender() -> None:
        for value in values:
            send(acc, value)
        done.set()

    received: list[bytes | None] = []
    thread = threading.Thread(target=appender)
    thread.start()
    acc.begin_flush()  # drain whatever is there, open tails included
    while True:
        finished = done.is_set()
        for batch in acc.drain(1, time.monotonic(), LEADERS.get):
            received.extend(r.value for r in iter_records(batch.encoded()))
        acc.unmute([TP])
        if finished and not acc._batches[TP]:
            break
    thread.join()
    assert received == values
