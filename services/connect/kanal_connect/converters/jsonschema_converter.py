"""Confluent's `io.confluent.connect.json.JsonSchemaConverter`: Connect data as JSON text whose
JSON Schema lives in the schema registry (schemaType JSON).

    record bytes = 0x00 | schema id (4 bytes, big-endian) | UTF-8 JSON text

The schema document is jsonschema_data's mapping; the values jsonschema_values'. As Confluent's
serializer and deserializer, records are checked against the schema only when
`json.fail.invalid.schema` is true (on write against the schema written with, on read against
the writer's schema).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema
from jsonschema.protocols import Validator
from kanal.serde.schema_types import Schema as RegistrySchema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from kanal_connect.config.definition import ConfigDef, ConfigType, Importance
from kanal_connect.converters import jackson
from kanal_connect.converters.base import SchemaAndValue
from kanal_connect.converters.jsonschema_data import connect_schema, json_schema_document
from kanal_connect.converters.jsonschema_values import from_json_node, to_json_node
from kanal_connect.converters.registry_base import RegistryConverter, WriterSchema
from kanal_connect.data.schema import Schema
from kanal_connect.errors import DataException

FAIL_INVALID_SCHEMA_CONFIG = "json.fail.invalid.schema"


@dataclass(frozen=True, slots=True)
class JsonSchemaParsed:
    """A registered JSON Schema: its Connect schema and a validator for its documents."""

    connect: Schema
    validator: Validator


class JsonSchemaConverter(RegistryConverter[JsonSchemaParsed]):
    schema_type = "JSON"

    def __init__(self) -> None:
        super().__init__()
        self.validate = False

    def format_config_def(self, config_def: ConfigDef) -> ConfigDef:
        return config_def.define(
            FAIL_INVALID_SCHEMA_CONFIG, ConfigType.BOOLEAN, False, Importance.MEDIUM,
            "Reject records whose JSON does not validate against their JSON Schema.",
        )  # fmt: skip

    def configure_format(self, parsed: Mapping[str, object]) -> None:
        self.validate = bool(parsed[FAIL_INVALID_SCHEMA_CONFIG])

    def writer_schema(self, schema: Schema | None) -> WriterSchema[JsonSchemaParsed]:
        if schema is None:
            raise DataException("The JSON Schema converter needs a schema for non-null values")
        document = json_schema_document(schema)
        # jackson writes the defaults' nodes (bytes, float32, decimals) as Confluent does.
        text = jackson.write(document).decode("utf-8")
        parsed = JsonSchemaParsed(schema, _validator(json.loads(text), {}))
        return WriterSchema(RegistrySchema(text, "JSON"), parsed, record_name=schema.name)

    def parse_registry_schema(
        self, schema: RegistrySchema, references: Mapping[str, RegistrySchema]
    ) -> JsonSchemaParsed:
        document = _document(schema.schema_str)
        referenced = {name: _document(s.schema_str) for name, s in references.items()}
        return JsonSchemaParsed(
            connect_schema(document, references=referenced), _validator(document, referenced)
        )

    def encode(self, parsed: JsonSchemaParsed, schema: Schema | None, value: object) -> bytes:
        if schema is None:
            raise DataException("The JSON Schema converter needs a schema for non-null values")
        data = jackson.write(to_json_node(schema, value))
        if self.validate:
            _check(parsed.validator, jackson.read(data))
        return data

    def decode(self, parsed: JsonSchemaParsed, payload: memoryview) -> SchemaAndValue:
        node = jackson.read(bytes(payload))
        if node is jackson.MISSING:
            raise DataException("Empty JSON payload")
        if self.validate:
            _check(parsed.validator, node)
        return SchemaAndValue(parsed.connect, from_json_node(parsed.connect, node))


def _document(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise DataException(f"Invalid JSON Schema: {error}") from None


def _validator(document: Any, referenced: Mapping[str, Any]) -> Validator:
    """A validator of the document's draft ($schema; draft 7 when absent, as Confluent)."""
    cls = jsonschema.validators.validator_for(document, default=jsonschema.Draft7Validator)
    try:
        cls.check_schema(document)
    except jsonschema.SchemaError as error:
        raise DataException(f"Invalid JSON Schema: {error.message}") from None
    if not referenced:
        return cls(document)
    resources = [(name, Resource.from_contents(doc, default_specification=DRAFT7))
                 for name, doc in referenced.items()]
    return cls(document, registry=Registry().with_resources(resources))


def _check(validator: Validator, node: Any) -> None:
    error = jsonschema.exceptions.best_match(validator.iter_errors(node))
    if error is not None:
        raise DataException(f"JSON does not match its JSON Schema: {error.message}")
