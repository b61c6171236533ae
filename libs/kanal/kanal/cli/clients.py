"""The SDK clients the commands use, built from the shared `--bootstrap`."""

from __future__ import annotations

from typing import Any

from kanal import Admin, Consumer, Producer
from kanal.errors import UnknownTopicOrPartition
from kanal.types import TopicPartition


def admin(bootstrap: str) -> Admin:
    return Admin(bootstrap_servers=bootstrap)


def producer(bootstrap: str, **options: Any) -> Producer:
    return Producer(bootstrap_servers=bootstrap, **options)


def consumer(bootstrap: str, **options: Any) -> Consumer:
    return Consumer(bootstrap_servers=bootstrap, **options)


def topic_partitions(bootstrap: str, topic: str, only: int | None = None) -> list[TopicPartition]:
    """Every partition of `topic` (or just `only`).

    Asked of the controller through Admin rather than waited for in client metadata, so a
    missing topic fails at once with UnknownTopicOrPartition instead of after max_block_ms.
    """
    with admin(bootstrap) as client:
        (described,) = client.describe_topics([topic])
    known = sorted(p.partition for p in described.partitions)
    if only is None:
        return [TopicPartition(topic, partition) for partition in known]
    if only not in known:
        raise UnknownTopicOrPartition(f"topic {topic!r} has no partition {only}")
    return [TopicPartition(topic, only)]
