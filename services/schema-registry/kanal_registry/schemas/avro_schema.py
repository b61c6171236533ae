"""AVRO schemas: parsed by the Apache `avro` package, defaults checked as Confluent does.

References are Avro named types defined in other subjects: each referenced schema is parsed
first into the same `avro.name.Names`, so the referencing text can use their full names.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass

import avro.errors
import avro.name
import avro.schema

from kanal_registry.errors import InvalidSchema
from kanal_registry.schema_types import (
    ParsedSchema,
    ReferenceResolver,
    SchemaReference,
    SchemaType,
    resolve_reference_texts,
)
from kanal_registry.schemas.avro_canonical import canonical_form, normal_form
from kanal_registry.schemas.avro_defaults import check_defaults
from kanal_registry.schemas.avro_shape import check_shape
from kanal_registry.schemas.text_errors import json_document, resolved_references


@dataclass(frozen=True, slots=True)
class AvroSchema:
    """A parsed Avro schema; `avro` is the `avro` package's object, references resolved."""

    text: str
    references: tuple[SchemaReference, ...]
    avro: avro.schema.Schema
    document: object

    @property
    def schema_type(self) -> SchemaType:
        return SchemaType.AVRO

    def canonical_form(self) -> str:
        return canonical_form(self.document)

    def normalize(self) -> ParsedSchema:
        text = normal_form(self.document)
        return AvroSchema(text, self.references, self.avro, json.loads(text))


def parse_avro(
    text: str, references: tuple[SchemaReference, ...], resolve: ReferenceResolver
) -> AvroSchema:
    names = avro.name.Names(validate_names=True)
    with resolved_references():
        referenced = resolve_reference_texts(references, resolve)
    for reference, reference_text in referenced:
        _parse_into(json_document(reference_text), names, where=f"reference {reference.name!r}")
    document = json_document(text)
    schema = _parse_into(document, names, where="schema")
    return AvroSchema(text, references, schema, document)


def _parse_into(document: object, names: avro.name.Names, *, where: str) -> avro.schema.Schema:
    check_shape(document)
    try:
        # Unknown logical types are legal Avro (readers ignore them); `avro` warns about them.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            schema = avro.schema.make_avsc_object(document, names)
    except avro.errors.AvroException as exc:
        raise InvalidSchema(f"Invalid Avro {where}: {exc}") from None
    except (RecursionError, TypeError, ValueError, AttributeError, KeyError) as exc:
        # `avro` assumes well-formed attribute types in places; a wrong one surfaces as a
        # Python error from inside it, which for the registry is still just an invalid schema.
        raise InvalidSchema(f"Invalid Avro {where}: {type(exc).__name__}: {exc}") from None
    check_defaults(schema)
    return schema
