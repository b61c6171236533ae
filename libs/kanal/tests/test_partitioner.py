"""Kafka's murmur2 partitioning and the KIP-480 sticky partitioner."""

from __future__ import annotations

import random
import warnings
from collections import Counter
from collections.abc import Sequence

import pytest
from aiokafka.partitioner import DefaultPartitioner as AioDefaultPartitioner
from hypothesis import given
from hypothesis import strategies as st
from kanal.partitioner import (
    DefaultPartitioner,
    Partitioner,
    murmur2,
    partition_for_key,
)

with warnings.catch_warnings():
    # kafka-python 3.0 calls the deprecated importlib.resources.read_text on import.
    warnings.simplefilter("ignore", DeprecationWarning)
    from kafka.partitioner.default import DefaultPartitioner as KafkaDefaultPartitioner
    from kafka.partitioner.default import murmur2 as kafka_murmur2

# org.apache.kafka.common.utils.UtilsTest#testMurmur2 (signed Java ints).
JAVA_VECTORS = [
    (b"21", -973932308),
    (b"foobar", -790332482),
    (b"a-little-bit-long-string", -985981536),
    (b"a-little-bit-longer-string", -1486304829),
    (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
    (b"abc", 479470107),
]


@pytest.mark.parametrize(("key", "expected"), JAVA_VECTORS)
def test_murmur2_matches_kafkas_java_vectors(key: bytes, expected: int) -> None:
    assert murmur2(key) == expected


@given(st.binary(max_size=512))
def test_murmur2_matches_kafka_python(key: bytes) -> None:
    # kafka-python returns the same 32 bits, unsigned.
    assert murmur2(key) & 0xFFFFFFFF == kafka_murmur2(key)
    assert -(2**31) <= murmur2(key) < 2**31


@given(st.binary(max_size=64), st.integers(1, 300))
def test_keyed_partition_equals_aiokafkas(key: bytes, count: int) -> None:
    partitions = list(range(count))
    ours = DefaultPartitioner()(key, partitions, partitions[: count // 2])
    assert ours == AioDefaultPartitioner()(key, partitions, partitions[: count // 2])
    assert ours == partition_for_key(key, partitions)
    assert ours == (kafka_murmur2(key) & 0x7FFFFFFF) % count


class OneTopicCluster:
    """The three questions kafka-python 3's partitioner asks its ClusterMetadata."""

    def __init__(self, count: int) -> None:
        self.count = count

    def topics(self) -> set[str]:
        return {"t"}

    def partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(self.count))

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return set(range(self.count))


@given(st.binary(max_size=64), st.integers(1, 300))
def test_keyed_partition_equals_kafka_pythons(key: bytes, count: int) -> None:
    theirs = KafkaDefaultPartitioner().partition("t", key, key, None, None, OneTopicCluster(count))
    assert partition_for_key(key, range(count)) == theirs


def test_repeated_keys_get_the_same_partitions_for_any_buffer() -> None:
    partitioner = DefaultPartitioner()
    partitions = list(range(7))
    keys = [b"key-%d" % i for i in range(1000)]
    for _ in range(2):
        assert [partitioner(k, partitions, partitions) for k in keys] == [
            (kafka_murmur2(k) & 0x7FFFFFFF) % 7 for k in keys
        ]
    assert partitioner(bytearray(b"21"), partitions, []) == partitioner(b"21", partitions, [])
    assert partitioner(memoryview(b"21"), partitions, []) == partitioner(b"21", partitions, [])


def test_java_partition_for_foobar() -> None:
    # toPositive(-790332482) = 1357151166; % 10 = 6.
    assert partition_for_key(b"foobar", range(10)) == 6


def test_null_keys_stick_to_one_partition_until_a_batch_completes() -> None:
    partitioner = DefaultPartitioner(rng=random.Random(7))
    partitions = list(range(6))
    first = partitioner(None, partitions, partitions, topic="t")
    assert {partitioner(None, partitions, partitions, topic="t") for _ in range(50)} == {first}
    second = partitioner.on_new_batch(first, partitions, partitions, topic="t")
    assert second != first
    assert partitioner(None, partitions, partitions, topic="t") == second


def test_a_stale_batch_completion_does_not_move_the_sticky_partition() -> None:
    partitioner = DefaultPartitioner(rng=random.Random(1))
    partitions = list(range(4))
    current = partitioner(None, partitions, partitions)
    other = (current + 1) % 4
    assert partitioner.on_new_batch(other, partitions, partitions) == current


def test_sticky_choice_prefers_available_partitions_and_is_per_topic() -> None:
    partitioner = DefaultPartitioner(rng=random.Random(3))
    partitions = list(range(8))
    seen: Counter[int] = Counter()
    previous = partitioner(None, partitions, [2, 5], topic="a")
    for _ in range(200):
        previous = partitioner.on_new_batch(previous, partitions, [2, 5], topic="a")
        seen[previous] += 1
    assert set(seen) == {2, 5}
    assert partitioner(None, partitions, [], topic="b") in partitions
    assert partitioner(None, partitions, [2, 5], topic="a") == previous


def test_no_available_partition_falls_back_to_all_and_one_partition_is_kept() -> None:
    partitioner = DefaultPartitioner(rng=random.Random(5))
    assert partitioner(None, [0, 1, 2], []) in {0, 1, 2}
    assert partitioner(None, [3], []) == 3
    assert partitioner.on_new_batch(3, [3], []) == 3


def test_keyless_records_spread_over_partitions_as_batches_complete() -> None:
    partitioner = DefaultPartitioner(rng=random.Random(11))
    partitions = list(range(5))
    current = partitioner(None, partitions, partitions)
    chosen: Counter[int] = Counter()
    for _ in range(500):
        current = partitioner.on_new_batch(current, partitions, partitions)
        chosen[current] += 1
    assert set(chosen) == set(partitions)


def test_any_callable_is_a_partitioner() -> None:
    def first(key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]) -> int:
        return all_partitions[0]

    chosen: Partitioner = first
    assert isinstance(first, Partitioner)
    assert isinstance(DefaultPartitioner(), Partitioner)
    assert chosen(b"k", [4, 5], [5]) == 4
