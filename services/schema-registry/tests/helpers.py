"""Small builders shared by the registry's tests."""

from __future__ import annotations

import json

from kanal_registry.schema_types import ParsedSchema, SchemaType, parse_schema


def avro(document: object) -> ParsedSchema:
    return parse_schema(SchemaType.AVRO, json.dumps(document))


def json_schema(document: object) -> ParsedSchema:
    return parse_schema(SchemaType.JSON, json.dumps(document))


def proto(text: str) -> ParsedSchema:
    return parse_schema(SchemaType.PROTOBUF, text)


def record(*fields: dict[str, object], name: str = "R") -> dict[str, object]:
    return {"type": "record", "name": name, "fields": list(fields)}


def field(name: str, type_: object, **extra: object) -> dict[str, object]:
    return {"name": name, "type": type_, **extra}
