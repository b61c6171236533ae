"""Records go in through Producer and come back through Consumer unchanged and in order."""

from __future__ import annotations

import threading
import time
import warnings
from collections import defaultdict
from collections.abc import Callable

import pytest
from kanal import (
    Admin,
    Consumer,
    ConsumerRecord,
    NewTopic,
    Producer,
    RecordMetadata,
    TopicPartition,
)
from kanal.errors import InvalidTimestamp, OffsetOutOfRange, UnknownTopicOrPartition

with warnings.catch_warnings():
    # kafka-python 3.0 calls the deprecated importlib.resources.read_text on import.
    warnings.simplefilter("ignore", DeprecationWarning)
    from kafka.partitioner.default import murmur2 as kafka_python_murmur2

pytestmark = pytest.mark.integration

TopicFactory = Callable[..., str]  # the `new_topic` fixture (conftest.py)


def consume_all(
    bootstrap: str, topic: str, expected: int, **options: object
) -> list[ConsumerRecord]:
    records: list[ConsumerRecord] = []
    with Consumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                  consumer_timeout_ms=10_000, **options) as consumer:
        for record in consumer:
            records.append(record)
            if len(records) == expected:
                break
    return records


def test_keyed_records_round_trip_in_order_per_partition(
    bootstrap: str, new_topic: TopicFactory
) -> None:
    topic = new_topic(partitions=3)
    sent: list[tuple[bytes, bytes, list[tuple[str, bytes]], int]] = []
    base_ts = int(time.time() * 1000) - 60_000
    with Producer(bootstrap_servers=bootstrap, linger_ms=2, batch_size=2048) as producer:
        futures = []
        for i in range(600):
            key, value = b"key-%d" % (i % 17), b"value-%d" % i
            headers = [("n", str(i).encode()), ("empty", b"")]
            futures.append(producer.send(topic, value=value, key=key, headers=headers,
                                         timestamp_ms=base_ts + i))
            sent.append((key, value, headers, base_ts + i))
        producer.flush(timeout=30)
        metadata = [f.get(timeout=10) for f in futures]
    assert all(isinstance(m, RecordMetadata) and m.topic == topic for m in metadata)

    records = consume_all(bootstrap, topic, len(sent))
    assert len(records) == len(sent)
    by_partition: dict[int, list[ConsumerRecord]] = defaultdict(list)
    for record in records:
        by_partition[record.partition].append(record)
    for partition_records in by_partition.values():
        offsets = [r.offset for r in partition_records]
        assert offsets == list(range(len(offsets)))
    # Each record lands where its metadata said, with its key, value, headers and timestamp.
    where = {(r.partition, r.offset): r for r in records}
    for (key, value, headers, ts), meta in zip(sent, metadata, strict=True):
        record = where[(meta.partition, meta.offset)]
        assert (record.key, record.value, list(record.headers), record.timestamp) == (
            key, value, headers, ts)
        assert record.serialized_key_size == len(key)
        assert record.serialized_value_size == len(value)
    # Per key, records keep their send order.
    order: dict[bytes, list[int]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        order[record.key].append(int(record.value.split(b"-")[1]))
    assert all(values == sorted(values) for values in order.values())


def test_keys_land_where_kafka_python_puts_them(bootstrap: str, new_topic: TopicFactory) -> None:
    topic = new_topic(partitions=5)
    partitions = list(range(5))
    with Producer(bootstrap_servers=bootstrap) as producer:
        for i in range(50):
            key = f"user-{i}".encode()
            meta = producer.send(topic, key=key, value=b"x").get(timeout=10)
            # kafka-python's DefaultPartitioner: positive murmur2 modulo the partition count.
            assert meta.partition == partitions[(kafka_python_murmur2(key) & 0x7FFFFFFF) % 5]


@pytest.mark.parametrize("acks", [0, 1, "all"])
def test_each_acks_setting_delivers(bootstrap: str, new_topic: TopicFactory, acks: object) -> None:
    topic = new_topic(partitions=1)
    # acks=0 loses what the broker refuses, as in Kafka: let the leader take up the new
    # partition first (ListOffsets retries until it serves).
    with Consumer(bootstrap_servers=bootstrap) as probe:
        assert probe.end_offsets([TopicPartition(topic, 0)]) == {TopicPartition(topic, 0): 0}
    with Producer(bootstrap_servers=bootstrap, acks=acks) as producer:
        metas = [producer.send(topic, value=b"%d" % i) for i in range(20)]
        producer.flush(timeout=10)
        offsets = [m.get(timeout=10).offset for m in metas]
    assert offsets == ([-1] * 20 if acks == 0 else list(range(20)))
    assert [r.value for r in consume_all(bootstrap, topic, 20)] == [b"%d" % i for i in range(20)]


def test_keyless_records_keep_headers_timestamps_and_order_across_batches(
    bootstrap: str, new_topic: TopicFactory
) -> None:
    # Keyless records take the sticky partition's open batch (the uncompressed encoder is
    # aiokafka's compiled one); small batches make many of them. A bad record in between is
    # refused on send and leaves the others, and the producer, unharmed.
    topic = new_topic(partitions=1)
    headers = (("tuple", bytearray(b"h")), ("none", None))
    base_ts = 1_700_000_000_000
    with Producer(bootstrap_servers=bootstrap, batch_size=1024, linger_ms=20) as producer:
        futures = []
        for i in range(300):
            if i == 150:
                with pytest.raises(InvalidTimestamp):
                    producer.send(topic, value=b"bad", timestamp_ms=-2)
                with pytest.raises(TypeError):
                    producer.send(topic, value="not bytes")
            futures.append(producer.send(topic, value=b"v%d" % i, headers=headers,
                                         timestamp_ms=base_ts + i if i % 2 else None))
        metas = [f.get(timeout=10) for f in futures]
    assert [m.offset for m in metas] == list(range(300))
    assert all(m.serialized_key_size == -1 and m.serialized_value_size > 0 for m in metas)
    records = consume_all(bootstrap, topic, 300)
    assert [r.value for r in records] == [b"v%d" % i for i in range(300)]
    assert all(list(r.headers) == [("tuple", b"h"), ("none", None)] for r in records)
    assert [(r.timestamp, r.offset) for r in records] == [(m.timestamp, m.offset) for m in metas]
    assert all(r.timestamp == base_ts + i for i, r in enumerate(records) if i % 2)


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_compressed_batches_round_trip(bootstrap: str, new_topic: TopicFactory, codec: str) -> None:
    topic = new_topic(partitions=1)
    values = [(b"compress me %d " % i) * 20 for i in range(300)]
    with Producer(bootstrap_servers=bootstrap, compression_type=codec) as producer:
        for value in values:
            producer.send(topic, value=value)
        producer.flush(timeout=10)
    assert [r.value for r in consume_all(bootstrap, topic, len(values))] == values


def test_serializers_and_deserializers_apply(bootstrap: str, new_topic: TopicFactory) -> None:
    topic = new_topic(partitions=1)
    with Producer(bootstrap_servers=bootstrap, key_serializer=str.encode,
                  value_serializer=lambda v: repr(v).encode()) as producer:
        producer.send(topic, key="k", value={"a": 1}).get(timeout=10)
    (record,) = consume_all(bootstrap, topic, 1, key_deserializer=bytes.decode,
                            value_deserializer=bytes.decode)
    assert (record.key, record.value) == ("k", "{'a': 1}")


def test_seek_position_and_offset_lookups(bootstrap: str, new_topic: TopicFactory) -> None:
    topic = new_topic(partitions=1)
    tp = TopicPartition(topic, 0)
    with Producer(bootstrap_servers=bootstrap) as producer:
        for i in range(10):
            # One batch each: the broker's time lookup resolves to batch boundaries.
            producer.send(topic, value=b"%d" % i, timestamp_ms=1_000_000 + i * 10).get(10)
    with Consumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest") as consumer:
        consumer.assign([tp])
        assert consumer.assignment() == {tp}
        assert consumer.position(tp) == 0
        assert consumer.beginning_offsets([tp]) == {tp: 0}
        assert consumer.end_offsets([tp]) == {tp: 10}
        found = consumer.offsets_for_times({tp: 1_000_035})[tp]
        assert found is not None and found.offset == 4
        consumer.seek(tp, 7)
        batch = poll_until(consumer, 3)
        assert list(batch) == [tp]
        assert [r.offset for r in batch[tp]] == [7, 8, 9]
        assert consumer.position(tp) == 10
        consumer.seek_to_beginning(tp)
        assert consumer.position(tp) == 0
        consumer.seek_to_end(tp)
        assert consumer.position(tp) == 10
        assert consumer.poll(timeout_ms=200) == {}
        assert consumer.partitions_for_topic(topic) == {0}
        assert topic in consumer.topics()


def poll_until(consumer: Consumer, count: int) -> dict[TopicPartition, list[ConsumerRecord]]:
    out: dict[TopicPartition, list[ConsumerRecord]] = defaultdict(list)
    deadline = time.monotonic() + 10
    while sum(map(len, out.values())) < count and time.monotonic() < deadline:
        for tp, records in consumer.poll(timeout_ms=500).items():
            out[tp].extend(records)
    return dict(out)


def test_latest_reset_skips_old_records(bootstrap: str, new_topic: TopicFactory) -> None:
    topic = new_topic(partitions=1)
    tp = TopicPartition(topic, 0)
    with Producer(bootstrap_servers=bootstrap) as producer:
        producer.send(topic, value=b"old").get(timeout=10)
        with Consumer(bootstrap_servers=bootstrap, auto_offset_reset="latest") as consumer:
            consumer.assign([tp])
            assert consumer.position(tp) == 1
            producer.send(topic, value=b"new").get(timeout=10)
            assert [r.value for r in poll_until(consumer, 1)[tp]] == [b"new"]


def test_out_of_range_with_reset_none_surfaces(bootstrap: str, new_topic: TopicFactory) -> None:
    topic = new_topic(partitions=1)
    tp = TopicPartition(topic, 0)
    with Producer(bootstrap_servers=bootstrap) as producer:
        producer.send(topic, value=b"only").get(timeout=10)
    with Consumer(bootstrap_servers=bootstrap, auto_offset_reset="none") as consumer:
        consumer.assign([tp])
        consumer.seek(tp, 50)
        with pytest.raises(OffsetOutOfRange):
            poll_until(consumer, 1)


def test_out_of_range_resets_to_earliest(bootstrap: str, new_topic: TopicFactory) -> None:
    topic = new_topic(partitions=1)
    tp = TopicPartition(topic, 0)
    with Producer(bootstrap_servers=bootstrap) as producer:
        producer.send(topic, value=b"first").get(timeout=10)
    with Consumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest") as consumer:
        consumer.assign([tp])
        consumer.seek(tp, 50)
        assert [r.value for r in poll_until(consumer, 1)[tp]] == [b"first"]


def test_unknown_topic_fails_send_clearly(bootstrap: str) -> None:
    with (Producer(bootstrap_servers=bootstrap, max_block_ms=1500) as producer,
          pytest.raises(UnknownTopicOrPartition)):
        producer.send("no-such-topic", value=b"x")


def test_explicit_partition_and_callbacks(bootstrap: str, new_topic: TopicFactory) -> None:
    topic = new_topic(partitions=3)
    seen: list[RecordMetadata] = []
    with Producer(bootstrap_servers=bootstrap) as producer:
        assert producer.partitions_for(topic) == {0, 1, 2}
        future = producer.send(topic, value=b"x", partition=2).add_callback(seen.append)
        meta = future.get(timeout=10)
        with pytest.raises(UnknownTopicOrPartition):
            producer.send(topic, value=b"x", partition=7)
    assert meta.partition == 2 and seen == [meta]
    assert future.succeeded() and future.value == meta


def test_a_subscribed_topic_created_later_is_picked_up(bootstrap: str) -> None:
    with Consumer("created-later", bootstrap_servers=bootstrap,
                  auto_offset_reset="earliest") as consumer:
        assert consumer.poll(timeout_ms=300) == {}
        with Admin(bootstrap_servers=bootstrap) as admin:
            admin.create_topics([NewTopic("created-later", 2, 1)])
        with Producer(bootstrap_servers=bootstrap) as producer:
            producer.send("created-later", value=b"hello").get(timeout=10)
        deadline = time.monotonic() + 15
        values: list[bytes] = []
        while not values and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                values.extend(r.value for r in records)
        assert values == [b"hello"]
        assert consumer.subscription() == {"created-later"}
        assert len(consumer.assignment()) == 2


def test_send_blocks_on_buffer_memory_then_proceeds(
    bootstrap: str, new_topic: TopicFactory
) -> None:
    topic = new_topic(partitions=1)
    with Producer(bootstrap_servers=bootstrap, buffer_memory=40_000, batch_size=16_384,
                  linger_ms=20) as producer:
        futures = [producer.send(topic, value=b"x" * 100) for _ in range(3000)]
        assert [f.get(timeout=20).offset for f in futures] == list(range(3000))


def test_many_threads_can_share_one_producer(bootstrap: str, new_topic: TopicFactory) -> None:
    topic = new_topic(partitions=2)
    with Producer(bootstrap_servers=bootstrap, linger_ms=1) as producer:

        def send_all(thread: int) -> None:
            for i in range(500):
                producer.send(topic, key=b"t%d" % thread, value=b"%d" % i)

        threads = [threading.Thread(target=send_all, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        producer.flush(timeout=20)
    records = consume_all(bootstrap, topic, 2000)
    by_key: dict[bytes, list[int]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        by_key[record.key].append(int(record.value))
    assert dict(by_key) == {
        b"t%d" % n: list(range(500)) for n in range(4)}
