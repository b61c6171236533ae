"""The asyncio client and serdes against a real registry: the same operations and cache as the
sync ones, awaited; bytes are interchangeable between the two."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from kanal.devcluster.cluster import DevCluster
from kanal.errors import SchemaRegistryError, SerializationError
from kanal.serde import (
    AsyncAvroDeserializer,
    AsyncAvroSerializer,
    AsyncJsonDeserializer,
    AsyncJsonSerializer,
    AsyncProtobufDeserializer,
    AsyncProtobufSerializer,
    AsyncSchemaRegistryClient,
    AvroDeserializer,
    Schema,
    SchemaRegistryClient,
)

from .conftest import Namer
from .messages import Order

pytestmark = pytest.mark.integration

USER = {"type": "record", "name": "U", "fields": [{"name": "n", "type": "string"}]}


@pytest.fixture
async def aregistry(registry_cluster: DevCluster) -> AsyncIterator[AsyncSchemaRegistryClient]:
    async with AsyncSchemaRegistryClient(registry_cluster.registry_url) as client:
        yield client


async def test_client_operations_and_cache(
    aregistry: AsyncSchemaRegistryClient, unique: Namer
) -> None:
    subject = unique("s")
    schema_id = await aregistry.register_schema(subject, Schema('"string"'))
    assert await aregistry.register_schema(subject, Schema('"string"')) == schema_id
    assert aregistry.cache.ids.get((subject, Schema('"string"'))) == schema_id
    assert (await aregistry.get_latest_version(subject)).schema_id == schema_id
    assert await aregistry.get_versions(subject) == [1]
    assert await aregistry.delete_subject(subject) == [1]
    with pytest.raises(SchemaRegistryError) as gone:
        await aregistry.get_latest_version(subject)
    assert gone.value.error_code == 40401


async def test_avro_async_and_sync_bytes_agree(
    aregistry: AsyncSchemaRegistryClient, registry: SchemaRegistryClient, unique: Namer
) -> None:
    topic = unique("users")
    data = await AsyncAvroSerializer(aregistry, USER).serialize({"n": "x"}, topic)
    assert await AsyncAvroDeserializer(aregistry).deserialize(data) == {"n": "x"}
    assert AvroDeserializer(registry)(data) == {"n": "x"}
    with pytest.raises(SerializationError, match="unknown to the registry"):
        await AsyncAvroDeserializer(aregistry).deserialize(b"\x00\x7f\xff\xff\xf1x")


async def test_json_and_protobuf_async(aregistry: AsyncSchemaRegistryClient, unique: Namer) -> None:
    schema = {"type": "object", "properties": {"id": {"type": "integer"}}}
    data = await AsyncJsonSerializer(aregistry, schema).serialize({"id": 1}, unique("t"))
    assert await AsyncJsonDeserializer(aregistry).deserialize(data) == {"id": 1}
    order = Order(id=2, customer="z")
    framed = await AsyncProtobufSerializer(aregistry, Order).serialize(order, unique("t"))
    assert await AsyncProtobufDeserializer(Order).deserialize(framed) == order


async def test_config_object(aregistry: AsyncSchemaRegistryClient, unique: Namer) -> None:
    subject = unique("u")
    answer = await aregistry.update_config({"compatibility": "NONE", "alias": "x"}, subject)
    assert answer == {"alias": "x", "compatibility": "NONE"}
    assert await aregistry.get_config(subject) == {"alias": "x", "compatibilityLevel": "NONE"}
    assert await aregistry.get_compatibility(subject) == "NONE"
