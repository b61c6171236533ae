"""Attribute names from OpenTelemetry's messaging semantic conventions, and the limit on
links per span (the SDK's default OTEL_SPAN_LINK_COUNT_LIMIT: more would be dropped anyway,
so collecting them would be wasted work)."""

from __future__ import annotations

SYSTEM = "messaging.system"
SYSTEM_NAME = "kanal"
OPERATION = "messaging.operation.name"
OPERATION_TYPE = "messaging.operation.type"
DESTINATION = "messaging.destination.name"
PARTITION = "messaging.destination.partition.id"
OFFSET = "messaging.kafka.offset"
BATCH_COUNT = "messaging.batch.message_count"
CLIENT_ID = "messaging.client.id"
GROUP = "messaging.consumer.group.name"
BROKER_ID = "kanal.broker.id"
BYTES = "kanal.bytes"

MAX_LINKS = 128
