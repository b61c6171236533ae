"""JSON Schema in Confluent's wire format: the payload is the value's JSON text (UTF-8).

Values are validated against the schema before writing and after reading (both can be turned
off). The draft is the schema's `$schema` (draft-07 when absent, as Confluent assumes).
References are resolved by their reference name, which is what the referring schema's `$ref`
holds (e.g. `"$ref": "address.json"`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from io import BytesIO
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from kanal.errors import SerializationError
from kanal.serde import registry_steps as steps
from kanal.serde.aio_registry_client import AsyncSchemaRegistryClient
from kanal.serde.codec import Encoder, NamedSchemas, WriterSchema
from kanal.serde.registry_cache import RegistryCache
from kanal.serde.registry_client import SchemaRegistryClient
from kanal.serde.registry_steps import Steps
from kanal.serde.schema_types import Schema, SchemaId, SchemaReference
from kanal.serde.serializer import (
    AsyncDeserializer,
    AsyncSerializer,
    Deserializer,
    Serializer,
    SerializerSettings,
)


def json_validator(schema: Schema, referenced: NamedSchemas = ()) -> Validator:
    try:
        contents = json.loads(schema.schema_str)
        resources = [
            (name, Resource.from_contents(json.loads(dep.schema_str), DRAFT7))
            for name, dep in referenced
        ]
        cls = validator_for(contents, default=Draft7Validator)
        cls.check_schema(contents)
    except (json.JSONDecodeError, SchemaError, TypeError) as error:
        raise SerializationError(f"invalid JSON schema: {error}") from None
    registry: Registry[Any] = Registry().with_resources(resources)
    return cls(contents, registry=registry)


def _check(validator: Validator | None, value: Any, where: str) -> None:
    if validator is None:
        return
    try:
        validator.validate(value)
    except ValidationError as error:
        path = "/".join(str(part) for part in error.absolute_path) or "(root)"
        raise SerializationError(
            f"{where} fails its JSON schema at {path}: {error.message}"
        ) from None
    except RecursionError:
        raise SerializationError(f"{where} is nested too deeply to validate") from None


class JsonWriterCodec:
    schema_type = "JSON"

    def __init__(
        self,
        schema: str | Mapping[str, Any],
        references: Sequence[SchemaReference] = (),
        *,
        validate: bool = True,
    ) -> None:
        text = schema if isinstance(schema, str) else json.dumps(schema)
        self._schema = Schema(text, "JSON", tuple(references))
        try:
            title = json.loads(text).get("title")
        except (json.JSONDecodeError, AttributeError):
            title = None
        self._record_name = str(title) if title else None
        self._validate = validate
        self._encoders: dict[Schema, Encoder] = {}

    @property
    def schema(self) -> Schema:
        return self._schema

    @property
    def record_name(self) -> str | None:
        return self._record_name

    def registration(
        self, cache: RegistryCache, *, auto_register: bool, normalize: bool
    ) -> Steps[Schema]:
        return steps.done(self._schema)

    def encoder(self, schema: Schema, referenced: NamedSchemas) -> Encoder:
        cached = self._encoders.get(schema)
        if cached is not None:
            return cached
        validator = json_validator(schema, referenced) if self._validate else None

        def encode(out: BytesIO, value: Any) -> None:
            _check(validator, value, "value")
            try:
                out.write(json.dumps(value, separators=(",", ":")).encode())
            except (TypeError, ValueError) as error:
                raise SerializationError(f"value is not JSON: {error}") from None

        self._encoders[schema] = encode
        return encode


class JsonReaderCodec:
    def __init__(self, *, validate: bool = True) -> None:
        self._validate = validate
        # Without validation the payload alone is the value: no registry round trip.
        self.needs_writer_schema = validate
        self._validators: dict[SchemaId, Validator] = {}

    def decode(self, payload: memoryview, writer: WriterSchema | None) -> Any:
        try:
            value = json.loads(bytes(payload))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise SerializationError(f"payload is not JSON: {error}") from None
        except RecursionError:
            raise SerializationError("payload JSON is nested too deeply") from None
        if self._validate and writer is not None:
            validator = self._validators.get(writer.schema_id)
            if validator is None:
                validator = json_validator(writer.schema, writer.referenced)
                self._validators[writer.schema_id] = validator
            _check(validator, value, f"record of schema id {writer.schema_id}")
        return value


class JsonSerializer(Serializer):
    def __init__(
        self,
        client: SchemaRegistryClient,
        schema: str | Mapping[str, Any],
        *,
        references: Sequence[SchemaReference] = (),
        validate: bool = True,
        settings: SerializerSettings | None = None,
    ) -> None:
        super().__init__(client, JsonWriterCodec(schema, references, validate=validate), settings)


class JsonDeserializer(Deserializer):
    def __init__(self, client: SchemaRegistryClient, *, validate: bool = True) -> None:
        super().__init__(client, JsonReaderCodec(validate=validate))


class AsyncJsonSerializer(AsyncSerializer):
    def __init__(
        self,
        client: AsyncSchemaRegistryClient,
        schema: str | Mapping[str, Any],
        *,
        references: Sequence[SchemaReference] = (),
        validate: bool = True,
        settings: SerializerSettings | None = None,
    ) -> None:
        super().__init__(client, JsonWriterCodec(schema, references, validate=validate), settings)


class AsyncJsonDeserializer(AsyncDeserializer):
    def __init__(self, client: AsyncSchemaRegistryClient, *, validate: bool = True) -> None:
        super().__init__(client, JsonReaderCodec(validate=validate))
