"""What every registered schema is, whatever its format: the `ParsedSchema` protocol.

A schema reaches the registry as text plus a type (AVRO when the request names none) and an
ordered list of references: `{"name", "subject", "version"}` triples naming other registered
schemas it uses (an Avro named type, a JSON Schema `$ref` target, a Protobuf `import` path).
The registry resolves each through a callback `(subject, version) -> schema text`, so parsing
never touches storage. The list must hold every schema needed, transitively, dependencies
first (the storage layer flattens a reference's own references, as Confluent's server does).
Parsing either yields a `ParsedSchema` or raises `InvalidSchema` (42201); no other exception
escapes `parse_schema`.

The implementations live in `kanal_registry.schemas`: `AvroSchema`, `JsonSchema`,
`ProtobufSchema`, one module each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from kanal_registry.errors import InvalidSchema


class SchemaType(StrEnum):
    """The `schemaType` of a registration request; Confluent omits it for AVRO."""

    AVRO = "AVRO"
    JSON = "JSON"
    PROTOBUF = "PROTOBUF"

    @classmethod
    def from_request(cls, value: str | None) -> SchemaType:
        if value is None:
            return cls.AVRO
        try:
            return cls(value.upper())
        except ValueError:
            raise InvalidSchema(f"unknown schema type {value!r}") from None


@dataclass(frozen=True, slots=True)
class SchemaReference:
    """One entry of a schema's `references` list."""

    name: str
    """The name the referencing schema uses: an Avro full name, a `$ref` URI, an import path."""
    subject: str
    version: int


ReferenceResolver = Callable[[str, int], str]
"""`(subject, version) -> schema text` of a referenced schema; raises a RegistryError if absent."""


@runtime_checkable
class ParsedSchema(Protocol):
    """A schema that parsed and validated; immutable."""

    @property
    def schema_type(self) -> SchemaType: ...

    @property
    def text(self) -> str:
        """The text as registered."""
        ...

    @property
    def references(self) -> tuple[SchemaReference, ...]: ...

    def canonical_form(self) -> str:
        """A text equal for schemas that mean the same thing to readers and writers."""
        ...

    def normalize(self) -> ParsedSchema:
        """This schema in a normal form (Confluent's `normalize=true`)."""
        ...


def parse_schema(
    schema_type: SchemaType,
    text: str,
    *,
    references: Sequence[SchemaReference] = (),
    resolve: ReferenceResolver | None = None,
) -> ParsedSchema:
    """Parse and validate `text` as `schema_type`; raise InvalidSchema (42201) if it is not one."""
    # Imported here: the format modules import this one for the protocol and reference types.
    from kanal_registry.schemas.avro_schema import parse_avro
    from kanal_registry.schemas.json_schema import parse_json_schema
    from kanal_registry.schemas.protobuf_schema import parse_protobuf

    parsers: dict[
        SchemaType,
        Callable[[str, tuple[SchemaReference, ...], ReferenceResolver], ParsedSchema],
    ] = {
        SchemaType.AVRO: parse_avro,
        SchemaType.JSON: parse_json_schema,
        SchemaType.PROTOBUF: parse_protobuf,
    }
    if references and resolve is None:
        raise InvalidSchema("the schema has references but no resolver was given")
    return parsers[schema_type](text, tuple(references), resolve or _no_references)


def _no_references(subject: str, version: int) -> str:
    raise InvalidSchema(f"no reference resolver for {subject!r} version {version}")


def resolve_reference_texts(
    references: Sequence[SchemaReference], resolve: ReferenceResolver
) -> list[tuple[SchemaReference, str]]:
    """Each reference with the text it names, in list order (dependencies first)."""
    return [(ref, resolve(ref.subject, ref.version)) for ref in references]
