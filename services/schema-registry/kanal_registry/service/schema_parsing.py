"""From a request's schema text to a `ParsedSchema`, its references resolved from the state.

A request names only the schemas it uses directly; the format layer needs every schema they
use in turn, dependencies first, so the references are flattened here (depth first, each
subject-version once), as Confluent's server does.

The text stored in `_schemas` is the registry's form of the schema: JSON schemas (AVRO, JSON)
in compact JSON with their key order kept, as Confluent's `canonicalString()` writes them, so
texts differing only in whitespace get one id; Protobuf files in their canonical rendering
(`ProtobufSchema.canonical_form`: Confluent's layout, options sorted, type names qualified),
whether they came as .proto text or as a base64 `FileDescriptorProto` (confluent-kafka's
Protobuf serializer sends that), so both get one id; `format=serialized` reads turn it back
into a descriptor. Records written before Protobuf text was canonical hold the text as given:
they still load and read as stored, and `RegistryReads.identity` matches them to requests.
"""

from __future__ import annotations

import json
from collections import OrderedDict

from kanal_registry.errors import InvalidSchema, SchemaNotFound
from kanal_registry.schema_types import ParsedSchema, SchemaReference, SchemaType, parse_schema
from kanal_registry.schemas.avro_schema import AvroSchema
from kanal_registry.schemas.json_schema import JsonSchema
from kanal_registry.schemas.protobuf_descriptor_build import serialized_descriptor
from kanal_registry.schemas.protobuf_descriptor_text import (
    descriptor_from_base64,
    looks_serialized,
    proto_text,
)
from kanal_registry.schemas.protobuf_schema import ProtobufSchema
from kanal_registry.state.registry_state import RegistryState, SchemaContent

_PARSED_CACHE_SIZE = 4096
_MAX_REFERENCE_DEPTH = 64


class SchemaParser:
    """Parses request and stored schemas against one state; stored ones are cached by content
    (a content never changes meaning: its references name fixed versions)."""

    def __init__(self, state: RegistryState) -> None:
        self._state = state
        self._cache: OrderedDict[SchemaContent, ParsedSchema] = OrderedDict()

    def parse(self, content: SchemaContent, *, normalize: bool = False) -> ParsedSchema:
        parsed = self._cache.get(content)
        if parsed is None:
            parsed = parse_schema(
                content.schema_type, content.schema,
                references=self.flatten(content.references), resolve=self._resolve,
            )
            self._cache[content] = parsed
            if len(self._cache) > _PARSED_CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(content)
        return parsed.normalize() if normalize else parsed

    def flatten(self, references: tuple[SchemaReference, ...]) -> list[SchemaReference]:
        ordered: dict[tuple[str, int], SchemaReference] = {}
        self._visit(references, ordered, depth=0)
        return list(ordered.values())

    def _visit(self, references: tuple[SchemaReference, ...],
               ordered: dict[tuple[str, int], SchemaReference], *, depth: int) -> None:
        if depth > _MAX_REFERENCE_DEPTH:
            raise InvalidSchema("Invalid schema: references nest too deeply")
        for reference in references:
            key = (reference.subject, reference.version)
            if key in ordered:
                continue
            stored = self._state.version(reference.subject, reference.version)
            if stored is None or stored.deleted:
                raise InvalidSchema(
                    f"Invalid schema: reference {reference.name!r} names "
                    f"{reference.subject!r} version {reference.version}, which does not exist"
                )
            self._visit(stored.references, ordered, depth=depth + 1)
            ordered[key] = reference

    def _resolve(self, subject: str, version: int) -> str:
        stored = self._state.version(subject, version)
        if stored is None:
            raise SchemaNotFound(f"{subject!r} version {version} not found")
        return stored.schema


def request_text(schema_type: SchemaType, text: str) -> str:
    """A request's schema as .proto text when it came as a base64 descriptor (confluent-kafka's
    Protobuf serializer sends that), else unchanged."""
    if schema_type is SchemaType.PROTOBUF and looks_serialized(text):
        return proto_text(descriptor_from_base64(text))
    return text


def formatted_text(parsed: ParsedSchema, fmt: str) -> str:
    """The text of `parsed` in the `format` a reader asked for: `serialized` is a PROTOBUF
    schema as a base64 FileDescriptorProto (Confluent's), anything else the stored text."""
    if fmt == "serialized" and isinstance(parsed, ProtobufSchema):
        return serialized_descriptor(parsed.tree, parsed.model)
    return stored_text(parsed)


def stored_text(parsed: ParsedSchema) -> str:
    """The text the registry stores and serves for `parsed` (see the module docstring)."""
    if parsed.schema_type is SchemaType.PROTOBUF:
        return parsed.canonical_form()
    assert isinstance(parsed, AvroSchema | JsonSchema)
    return json.dumps(parsed.document, separators=(",", ":"), ensure_ascii=False)
