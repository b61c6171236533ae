"""The seed guide's kafka-python examples run on Kanal with only the import changed.

The snippets below are copied verbatim from seed/kafka-streaming-guide.md except for the
first line (`from kafka import KafkaProducer` -> `from kanal import Producer as
KafkaProducer`); at run time `localhost:9092` is pointed at the test cluster.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from kanal import Admin, NewTopic

pytestmark = pytest.mark.integration

BASIC_PRODUCER = '''
from kanal import Producer as KafkaProducer
import json

producer = KafkaProducer(
    bootstrap_servers=['localhost:9092'],
    value_serializer=lambda v: json.dumps(v).encode('utf-8'),
    key_serializer=lambda k: k.encode('utf-8') if k else None
)

# Send event
event = {
    'user_id': '123',
    'action': 'click',
    'timestamp': '2024-01-15T10:00:00Z'
}

future = producer.send(
    topic='user-events',
    key='user123',
    value=event
)

# Wait for confirmation
record_metadata = future.get(timeout=10)
print(f"Sent to partition {record_metadata.partition} at offset {record_metadata.offset}")

producer.close()
'''

PRODUCER_CONFIGURATION = '''
from kanal import Producer as KafkaProducer
import json

producer = KafkaProducer(
    bootstrap_servers=['localhost:9092'],

    # Serialization
    value_serializer=lambda v: json.dumps(v).encode('utf-8'),

    # Acknowledgments (reliability)
    acks='all',  # Wait for all replicas (most reliable)
    # acks=1     # Wait for leader only
    # acks=0     # Don't wait (fastest, least reliable)

    # Retries
    retries=3,

    # Batching (performance)
    batch_size=16384,  # 16KB
    linger_ms=10,      # Wait 10ms to batch

    # Compression
    compression_type='gzip',  # or 'snappy', 'lz4', 'zstd'

    # Idempotence (exactly-once)
    enable_idempotence=True
)
'''

PARTITIONING = '''
# Key-based partitioning (same key → same partition)
producer.send('user-events', key='user123', value=event)

# Round-robin (no key)
producer.send('user-events', value=event)

# Custom partitioner
class CustomPartitioner:
    def partition(self, key, all_partitions):
        return hash(key) % len(all_partitions)
'''

BASIC_CONSUMER = '''
from kanal import Consumer as KafkaConsumer
import json

consumer = KafkaConsumer(
    'user-events',
    bootstrap_servers=['localhost:9092'],
    group_id='analytics-group',
    value_deserializer=lambda m: json.loads(m.decode('utf-8')),
    auto_offset_reset='earliest',  # Start from beginning
    enable_auto_commit=True
)

for message in consumer:
    event = message.value
    print(f"Received: {event}")

    # Process event
    process_event(event)

consumer.close()
'''

TUNING = '''
from kanal import Producer as KafkaProducer

# For throughput
producer = KafkaProducer(
    batch_size=32768,  # 32KB
    linger_ms=100      # Wait 100ms
)

# For latency
producer = KafkaProducer(
    batch_size=1,
    linger_ms=0
)
'''


class _EnoughEvents(Exception):
    """Ends the guide's endless `for message in consumer` loop from process_event."""


def run(snippet: str, bootstrap: str, namespace: dict[str, Any]) -> dict[str, Any]:
    code = textwrap.dedent(snippet).replace("localhost:9092", bootstrap)
    exec(compile(code, "<seed guide>", "exec"), namespace)
    return namespace


def test_the_guides_producer_and_consumer_snippets_run(
    bootstrap: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Admin(bootstrap_servers=bootstrap) as admin:
        admin.create_topics([NewTopic("user-events", 3, 1)])

    produced = run(BASIC_PRODUCER, bootstrap, {})
    assert "Sent to partition" in capsys.readouterr().out
    metadata = produced["record_metadata"]
    assert metadata.topic == "user-events" and metadata.offset == 0

    # The partitioning snippet uses the producer and event of the one before it.
    producer = run(BASIC_PRODUCER.replace("producer.close()", ""), bootstrap, {})
    run(PARTITIONING, bootstrap, producer)
    producer["producer"].flush(timeout=10)
    producer["producer"].close()

    configured = run(PRODUCER_CONFIGURATION, bootstrap, {})
    configured["producer"].send("user-events", value={"user_id": "9"}).get(timeout=10)
    configured["producer"].close()

    # The tuning snippet binds `producer` twice: run it in halves so both get closed (a
    # producer left open keeps its thread and retries against the default bootstrap).
    for_throughput, for_latency = TUNING.split("# For latency")
    run(for_throughput, bootstrap, {})["producer"].close()
    run("from kanal import Producer as KafkaProducer\n" + for_latency, bootstrap, {})[
        "producer"].close()

    seen: list[dict[str, str]] = []

    def process_event(event: dict[str, str]) -> None:
        seen.append(event)
        if len(seen) == 5:  # basic send, 2 of the partitioning snippet + basic again, config
            raise _EnoughEvents

    namespace: dict[str, Any] = {"process_event": process_event}
    with pytest.raises(_EnoughEvents):
        run(BASIC_CONSUMER, bootstrap, namespace)
    namespace["consumer"].close()
    assert {event["user_id"] for event in seen} == {"123", "9"}
    assert "Received: {'user_id': '123'" in capsys.readouterr().out
