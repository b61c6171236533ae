"""Keyless records go straight to the open batch of their topic's sticky partition
(RecordAccumulator.append_sticky), which the accumulator keeps at hand per topic: these check
that it only ever hands out a batch that is still the partition's open tail."""

from __future__ import annotations

import time

from kanal.client.accumulator import RecordAccumulator
from kanal.client.buffer_pool import BufferPool
from kanal.client.producer_batch import AccumulatorConfig
from kanal.errors import ClientClosed, KanalTimeoutError
from kanal.records.reader import iter_records
from kanal.types import TopicPartition

TP = TopicPartition("t", 0)
OTHER = TopicPartition("t", 1)
LEADERS = {TP: 1, OTHER: 1}


def make() -> RecordAccumulator:
    return RecordAccumulator(
        AccumulatorConfig(batch_size=1 << 16, linger_s=60.0, max_request_size=1 << 20,
                          delivery_timeout_s=120.0),
        BufferPool(1 << 22),
        lambda: None,
    )


def test_keyless_records_join_the_sticky_partitions_open_batch() -> None:
    acc = make()
    acc.set_sticky(TP)
    assert acc.append_sticky("t", None, b"a", None) is None  # no batch yet
    acc.append(TP, None, None, b"a", None, 1.0)
    future = acc.append_sticky("t", None, b"b", None)
    assert future is not None and future.batch_result is acc._batches[TP][0].result


def test_a_partition_made_sticky_lends_its_open_batch() -> None:
    acc = make()
    acc.set_sticky(TP)
    acc.append(OTHER, None, b"k", b"keyed", None, 1.0)
    acc.set_sticky(OTHER)  # the partitioner moved on to a partition with an open batch
    assert acc.append_sticky("t", None, b"keyless", None) is not None
    acc.begin_flush()
    (batch,) = acc.drain(1, time.monotonic(), LEADERS.get)
    assert [r.value for r in iter_records(batch.encoded())] == [b"keyed", b"keyless"]


def test_a_drained_batch_takes_no_more_records() -> None:
    acc = make()
    acc.set_sticky(TP)
    acc.append(TP, None, None, b"a", None, 1.0)
    acc.begin_flush()
    acc.drain(1, time.monotonic(), LEADERS.get)
    assert acc.append_sticky("t", None, b"b", None) is None


def test_an_expired_batch_takes_no_more_records() -> None:
    acc = make()
    acc.set_sticky(TP)
    acc.append(TP, None, None, b"a", None, 1.0)
    acc.expire(time.monotonic() + 1_000, lambda _batch: KanalTimeoutError("expired"))
    # A record sent now gets a new batch and its own delivery timeout, not the old failure.
    assert acc.append_sticky("t", None, b"b", None) is None
    assert acc.append(TP, None, None, b"b", None, 1.0).exception is None


def test_nothing_is_appended_once_aborted() -> None:
    acc = make()
    acc.set_sticky(TP)
    first = acc.append(TP, None, None, b"a", None, 1.0)
    acc.abort_all(ClientClosed("closed"))
    assert isinstance(first.exception, ClientClosed)
    assert acc.append_sticky("t", None, b"b", None) is None
