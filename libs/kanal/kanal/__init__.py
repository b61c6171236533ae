"""Kanal: Kafka's model as gRPC services. This package is the client SDK users import:

    from kanal import Producer, Consumer, Admin          # sync, like kafka-python
    from kanal import AIOProducer, AIOConsumer, AIOAdmin  # asyncio, like aiokafka

Errors live in `kanal.errors` (one hierarchy, Kafka's codes).
"""

from kanal import errors
from kanal.client.admin import Admin
from kanal.client.admin_types import ConfigResource, ConfigResourceType
from kanal.client.aio_admin import AIOAdmin
from kanal.client.aio_consumer import AIOConsumer
from kanal.client.aio_producer import AIOProducer
from kanal.client.consumer import Consumer
from kanal.client.group_types import ConsumerRebalanceListener, OffsetAndMetadata
from kanal.client.offsets import OffsetAndTimestamp
from kanal.client.producer import Producer
from kanal.client.records import ConsumerRecord, NewTopic, RecordMetadata
from kanal.types import TopicPartition

__all__ = [
    "AIOAdmin",
    "AIOConsumer",
    "AIOProducer",
    "Admin",
    "ConfigResource",
    "ConfigResourceType",
    "Consumer",
    "ConsumerRebalanceListener",
    "ConsumerRecord",
    "NewTopic",
    "OffsetAndMetadata",
    "OffsetAndTimestamp",
    "Producer",
    "RecordMetadata",
    "TopicPartition",
    "errors",
]
