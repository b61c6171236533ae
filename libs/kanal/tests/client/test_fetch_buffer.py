"""The fetch buffer without a server: fetched bytes in, ConsumerRecords out in order, across
seeks, partial batches, and any poll size."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kanal.client.fetch_buffer import FetchBuffer
from kanal.errors import ConfigurationError, OffsetOutOfRange
from kanal.records.builder import BatchBuilder
from kanal.types import EARLIEST_TIMESTAMP, TopicPartition

TP = TopicPartition("t", 0)


def batch_list(sizes: list[int], base: int = 0) -> list[bytes]:
    out = []
    for size in sizes:
        builder = BatchBuilder()
        for i in range(size):
            builder.append(1_000 + base + i, b"k", b"%d" % (base + i))
        out.append(builder.build(base_offset=base))
        base += size
    return out


def batches(sizes: list[int], base: int = 0) -> bytes:
    return b"".join(batch_list(sizes, base))


def buffer_at(position: int) -> FetchBuffer:
    buffer = FetchBuffer(EARLIEST_TIMESTAMP, None, None)
    buffer.assign([TP])
    buffer.seek(TP, position)
    return buffer


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 30), min_size=1, max_size=8),
    start=st.integers(0, 60),
    cut=st.integers(0, 200),
    poll_size=st.integers(1, 50),
)
def test_records_come_out_in_order_from_the_position(
    sizes: list[int], start: int, cut: int, poll_size: int
) -> None:
    encoded = batch_list(sizes)
    data = b"".join(encoded)
    total = sum(sizes)
    start = min(start, total - 1)
    # A fetch cut by max_bytes ends inside a batch: that batch is not returned.
    fetched = data[: len(data) - cut] if cut < len(data) else data
    complete_end, end = 0, 0
    for size, batch in zip(sizes, encoded, strict=True):
        end += len(batch)
        if end <= len(fetched):
            complete_end += size
    buffer = buffer_at(start)
    buffer.add_fetch(TP, buffer.generation(TP), fetched, complete_end, total)
    seen: list[int] = []
    while polled := buffer.drain(poll_size):
        assert list(polled) == [TP] and len(polled[TP]) <= poll_size
        seen += [r.offset for r in polled[TP]]
    assert seen == list(range(start, max(start, complete_end)))
    assert buffer.position(TP) == max(start, complete_end)


def test_values_and_sizes_are_carried() -> None:
    buffer = buffer_at(0)
    buffer.add_fetch(TP, buffer.generation(TP), batches([3]), 3, 3)
    records = buffer.drain(10)[TP]
    assert [(r.key, r.value, r.timestamp) for r in records] == [
        (b"k", b"0", 1000), (b"k", b"1", 1001), (b"k", b"2", 1002)]
    assert records[0].serialized_key_size == 1 and records[0].serialized_value_size == 1


def test_deserializers_apply() -> None:
    buffer = FetchBuffer(EARLIEST_TIMESTAMP, bytes.decode, int)
    buffer.assign([TP])
    buffer.seek(TP, 0)
    buffer.add_fetch(TP, buffer.generation(TP), batches([2]), 2, 2)
    assert [(r.key, r.value) for r in buffer.drain(10)[TP]] == [("k", 0), ("k", 1)]


def test_data_fetched_before_a_seek_is_dropped() -> None:
    buffer = buffer_at(0)
    generation = buffer.generation(TP)
    buffer.add_fetch(TP, generation, batches([5]), 5, 5)
    buffer.seek(TP, 2)
    buffer.add_fetch(TP, generation, batches([5]), 5, 5)  # an answer to the old request
    assert buffer.drain(10) == {}
    assert buffer.position(TP) == 2


def test_a_fetch_error_is_raised_once() -> None:
    buffer = buffer_at(0)
    buffer.fetch_failed(TP, buffer.generation(TP), OffsetOutOfRange("gone"), 0.0)
    with pytest.raises(OffsetOutOfRange):
        buffer.drain(10)
    assert buffer.drain(10) == {}


def test_paused_partitions_keep_their_data_until_resumed() -> None:
    buffer = buffer_at(0)
    buffer.add_fetch(TP, buffer.generation(TP), batches([2]), 2, 2)
    buffer.set_paused([TP], True)
    assert buffer.drain(10) == {}
    buffer.set_paused([TP], False)
    assert len(buffer.drain(10)[TP]) == 2


def test_no_position_and_no_reset_policy_is_an_error_until_seek() -> None:
    buffer = FetchBuffer(None, None, None)
    buffer.assign([TP])
    with pytest.raises(ConfigurationError):
        buffer.drain(10)
    other = FetchBuffer(None, None, None)
    other.assign([TP])
    other.seek(TP, 0)
    assert other.drain(10) == {}
