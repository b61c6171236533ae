"""Schema-registry serdes: Avro, JSON Schema and Protobuf in Confluent's wire format.

    from kanal.serde import SchemaRegistryClient, AvroSerializer, AvroDeserializer

    registry = SchemaRegistryClient("http://127.0.0.1:8081")
    serialize = AvroSerializer(registry, schema_text).for_topic("orders")
    producer = Producer(bootstrap_servers=..., value_serializer=serialize)
    consumer = Consumer("orders", value_deserializer=AvroDeserializer(registry), ...)

asyncio: AsyncSchemaRegistryClient and Async*Serializer / Async*Deserializer, awaited before
sending or after receiving (the asyncio clients' hooks are synchronous).

Needs the `serde` extra (`pip install 'kanal[serde]'`: httpx, fastavro, jsonschema).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Imported on first use: the `kanal` command reads registry_api and schema_types without the
# serde extra installed, and `import kanal.serde.<module>` runs this file first.
_EXPORTS = {
    "AvroDeserializer": "avro", "AvroSerializer": "avro",
    "AsyncAvroDeserializer": "avro", "AsyncAvroSerializer": "avro",
    "AsyncJsonDeserializer": "json_schema", "AsyncJsonSerializer": "json_schema",
    "AsyncProtobufDeserializer": "protobuf", "AsyncProtobufSerializer": "protobuf",
    "AsyncSchemaRegistryClient": "aio_registry_client",
    "AsyncDeserializer": "serializer", "AsyncSerializer": "serializer",
    "JsonDeserializer": "json_schema", "JsonSerializer": "json_schema",
    "ProtobufDeserializer": "protobuf", "ProtobufSerializer": "protobuf",
    "SchemaRegistryClient": "registry_client",
    "CompatibilityResult": "schema_types", "RegisteredSchema": "schema_types",
    "Schema": "schema_types", "SchemaId": "schema_types", "SchemaReference": "schema_types",
    "Deserializer": "serializer", "Serializer": "serializer", "SerializerSettings": "serializer",
    "record_name_strategy": "subject_names", "topic_name_strategy": "subject_names",
    "topic_record_name_strategy": "subject_names",
}  # fmt: skip

if TYPE_CHECKING:
    from kanal.serde.aio_registry_client import AsyncSchemaRegistryClient
    from kanal.serde.avro import (
        AsyncAvroDeserializer,
        AsyncAvroSerializer,
        AvroDeserializer,
        AvroSerializer,
    )
    from kanal.serde.json_schema import (
        AsyncJsonDeserializer,
        AsyncJsonSerializer,
        JsonDeserializer,
        JsonSerializer,
    )
    from kanal.serde.protobuf import (
        AsyncProtobufDeserializer,
        AsyncProtobufSerializer,
        ProtobufDeserializer,
        ProtobufSerializer,
    )
    from kanal.serde.registry_client import SchemaRegistryClient
    from kanal.serde.schema_types import (
        CompatibilityResult,
        RegisteredSchema,
        Schema,
        SchemaId,
        SchemaReference,
    )
    from kanal.serde.serializer import (
        AsyncDeserializer,
        AsyncSerializer,
        Deserializer,
        Serializer,
        SerializerSettings,
    )
    from kanal.serde.subject_names import (
        record_name_strategy,
        topic_name_strategy,
        topic_record_name_strategy,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kanal.serde' has no attribute {name!r}")
    return getattr(importlib.import_module(f"kanal.serde.{module}"), name)


__all__ = [
    "AsyncAvroDeserializer",
    "AsyncAvroSerializer",
    "AsyncDeserializer",
    "AsyncJsonDeserializer",
    "AsyncJsonSerializer",
    "AsyncProtobufDeserializer",
    "AsyncProtobufSerializer",
    "AsyncSchemaRegistryClient",
    "AsyncSerializer",
    "AvroDeserializer",
    "AvroSerializer",
    "CompatibilityResult",
    "Deserializer",
    "JsonDeserializer",
    "JsonSerializer",
    "ProtobufDeserializer",
    "ProtobufSerializer",
    "RegisteredSchema",
    "Schema",
    "SchemaId",
    "SchemaReference",
    "SchemaRegistryClient",
    "Serializer",
    "SerializerSettings",
    "record_name_strategy",
    "topic_name_strategy",
    "topic_record_name_strategy",
]
