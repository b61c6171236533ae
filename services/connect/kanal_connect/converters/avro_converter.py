"""Confluent's `io.confluent.connect.avro.AvroConverter`: Connect data as Avro binary in the
schema registry's wire format, schemas mapped as Confluent's AvroData maps them (avro_data.py,
avro_to_connect.py) and registered under the subject the name strategy gives.

Besides the registry settings (registry_settings.py) it reads Confluent's
`enhanced.avro.schema.support` (write Connect strings carrying Avro enum parameters as Avro
enums; false) and `connect.meta.data` (keep Connect's doc, version, parameters and defaults in
the Avro schema; true). Schemaless values travel in Confluent's "Anything" record
(avro_anything.py).
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import fastavro
from kanal.serde.schema_types import Schema as RegistrySchema

from kanal_connect.config.definition import ConfigDef, ConfigType, Importance
from kanal_connect.converters import avro_anything
from kanal_connect.converters.avro_data import AvroNode, from_connect_schema
from kanal_connect.converters.avro_to_connect import to_connect_schema
from kanal_connect.converters.avro_values import Convert, to_avro, to_connect
from kanal_connect.converters.base import SchemaAndValue
from kanal_connect.converters.registry_base import RegistryConverter, WriterSchema
from kanal_connect.data.schema import Schema
from kanal_connect.errors import DataException

ENHANCED_SCHEMA_SUPPORT_CONFIG = "enhanced.avro.schema.support"
CONNECT_META_DATA_CONFIG = "connect.meta.data"


@dataclass(frozen=True, slots=True)
class AvroCodec:
    """One Avro schema, ready for records."""

    connect_schema: Schema | None
    """The Connect schema records of this Avro schema read as (None: schemaless)."""
    binary_schema: Any
    """fastavro's parsed schema without logical types: what the bytes are written with."""
    to_avro: Convert
    to_connect: Convert


class AvroConverter(RegistryConverter[AvroCodec]):
    schema_type = "AVRO"

    def __init__(self) -> None:
        super().__init__()
        self.enhanced = False
        self.metadata = True

    def format_config_def(self, config_def: ConfigDef) -> ConfigDef:
        return config_def.define(
            ENHANCED_SCHEMA_SUPPORT_CONFIG, ConfigType.BOOLEAN, False, Importance.MEDIUM,
            "Write Connect strings that carry Avro enum parameters as Avro enums.",
        ).define(
            CONNECT_META_DATA_CONFIG, ConfigType.BOOLEAN, True, Importance.LOW,
            "Keep Connect's doc, version, parameters and defaults in the Avro schema.",
        )

    def configure_format(self, parsed: Mapping[str, object]) -> None:
        self.enhanced = bool(parsed[ENHANCED_SCHEMA_SUPPORT_CONFIG])
        self.metadata = bool(parsed[CONNECT_META_DATA_CONFIG])

    def writer_schema(self, schema: Schema | None) -> WriterSchema[AvroCodec]:
        if schema is None:
            avro = avro_anything.anything_schema()
        else:
            avro = from_connect_schema(schema, enhanced=self.enhanced, metadata=self.metadata)
        codec = self._codec(avro, [], schema)
        text = json.dumps(avro, separators=(",", ":"))
        return WriterSchema(RegistrySchema(text, "AVRO"), codec, record_name=_record_name(avro))

    def parse_registry_schema(
        self, schema: RegistrySchema, references: Mapping[str, RegistrySchema]
    ) -> AvroCodec:
        if schema.schema_type != "AVRO":
            raise DataException(f"Not an Avro schema: schemaType {schema.schema_type}")
        # Dependencies before what uses them: `references` lists a schema before its own.
        referenced = [_json(reference) for reference in reversed(list(references.values()))]
        return self._codec(_json(schema), referenced, None)

    def encode(self, parsed: AvroCodec, schema: Schema | None, value: object) -> bytes:
        out = io.BytesIO()
        try:
            fastavro.schemaless_writer(out, parsed.binary_schema, parsed.to_avro(value))
        except DataException:
            raise
        except Exception as error:  # fastavro reports a value of the wrong type many ways
            raise DataException(f"Value does not fit its Avro schema: {error!r}") from None
        return out.getvalue()

    def decode(self, parsed: AvroCodec, payload: memoryview) -> SchemaAndValue:
        datum = fastavro.schemaless_reader(
            io.BytesIO(payload), parsed.binary_schema, None, return_named_type=True
        )
        return SchemaAndValue(parsed.connect_schema, parsed.to_connect(datum))

    def _codec(
        self, avro: AvroNode, referenced: list[AvroNode], connect: Schema | None
    ) -> AvroCodec:
        named: dict[str, AvroNode] = {}
        binary_named: dict[str, AvroNode] = {}
        try:
            for reference in referenced:
                fastavro.parse_schema(reference, named_schemas=named)
                fastavro.parse_schema(_without_logical_types(reference), named_schemas=binary_named)
            parsed = fastavro.parse_schema(avro, named_schemas=named)
            binary = fastavro.parse_schema(_without_logical_types(avro), named_schemas=binary_named)
        except Exception as error:  # fastavro's schema errors share no base class
            raise DataException(f"Invalid Avro schema: {error}") from None
        if avro_anything.is_anything(avro):
            return AvroCodec(None, binary, avro_anything.wrap, avro_anything.unwrap)
        try:
            if connect is None:
                connect = to_connect_schema(parsed, named, metadata=self.metadata)
            return AvroCodec(
                connect, binary, to_avro(connect, parsed, named),
                to_connect(connect, parsed, named),
            )
        except (KeyError, TypeError, ValueError, AttributeError, StopIteration) as error:
            # A schema fastavro accepted but shaped unlike anything Connect maps.
            raise DataException(f"Unsupported Avro schema: {error!r}") from None


def _json(schema: RegistrySchema) -> AvroNode:
    try:
        return json.loads(schema.schema_str)
    except ValueError as error:
        raise DataException(f"Avro schema is not JSON: {error}") from None


def _without_logical_types(node: AvroNode) -> AvroNode:
    """The schema with every "logicalType" removed: the binary encoding is the same, and the
    logical values are Connect's to convert (fastavro's own conversions differ in places)."""
    if isinstance(node, list):
        return [_without_logical_types(item) for item in node]
    if isinstance(node, dict):
        return {k: _without_logical_types(v) for k, v in node.items() if k != "logicalType"}
    return node


def _record_name(avro: AvroNode) -> str | None:
    """The name the Record*Strategy subjects use: a record's full name (the non-null branch
    of an optional one), or a primitive's type name."""
    if isinstance(avro, list):
        branches = [branch for branch in avro if branch != "null"]
        return _record_name(branches[0]) if len(branches) == 1 else None
    if isinstance(avro, dict):
        if avro.get("type") in ("record", "enum", "fixed"):
            return str(avro["name"])
        return _record_name(avro["type"])
    return str(avro)
