"""JSON schemas: checked against their draft's metaschema by `jsonschema`.

The draft is the one `$schema` names; without one it is draft-07, as in Confluent. References
are other registered JSON schemas that `$ref` names by the reference's `name` (a URI such as
`address.json`, optionally with a `#/...` fragment). Every `$ref` must lead somewhere: a local
JSON pointer that exists, or a reference of this registration.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema.exceptions
import jsonschema.validators
import referencing
import referencing.jsonschema
from jsonschema.protocols import Validator

from kanal_registry.errors import InvalidSchema
from kanal_registry.schema_types import (
    ParsedSchema,
    ReferenceResolver,
    SchemaReference,
    SchemaType,
    resolve_reference_texts,
)
from kanal_registry.schemas.text_errors import json_document, resolved_references

DEFAULT_DRAFT = jsonschema.validators.Draft7Validator
_DRAFT_07_URI = str(DEFAULT_DRAFT.META_SCHEMA["$id"]).rstrip("#")
JsonDocument = dict[str, Any] | bool
"""A JSON Schema document: an object, or `true` / `false`."""


@dataclass(frozen=True, slots=True)
class JsonSchema:
    """A parsed JSON Schema document with the documents its references name."""

    text: str
    references: tuple[SchemaReference, ...]
    document: JsonDocument
    referenced: Mapping[str, JsonDocument] = field(default_factory=dict)
    """Referenced documents by reference name (the URI `$ref` uses)."""

    @property
    def schema_type(self) -> SchemaType:
        return SchemaType.JSON

    def canonical_form(self) -> str:
        return json.dumps(self.document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def normalize(self) -> ParsedSchema:
        return JsonSchema(self.canonical_form(), self.references, self.document, self.referenced)

    def validator(self) -> Validator:
        """A validator for instances of this schema, its references registered by name."""
        cls = jsonschema.validators.validator_for(self.document, default=DEFAULT_DRAFT)
        registry: referencing.Registry[Any] = referencing.Registry()
        for name, document in self.referenced.items():
            resource = referencing.jsonschema.specification_with(
                _schema_uri(document), default=referencing.jsonschema.DRAFT7
            ).create_resource(document)
            registry = registry.with_resource(name, resource)
        return cls(self.document, registry=registry)


def parse_json_schema(
    text: str, references: tuple[SchemaReference, ...], resolve: ReferenceResolver
) -> JsonSchema:
    with resolved_references():
        referenced_texts = resolve_reference_texts(references, resolve)
    referenced: dict[str, JsonDocument] = {}
    for reference, reference_text in referenced_texts:
        where = f" reference {reference.name!r}"
        referenced[reference.name] = _checked(json_document(reference_text), where=where)
    document = _checked(json_document(text), where="")
    _check_refs(document, referenced)
    return JsonSchema(text, references, document, referenced)


def _checked(document: object, *, where: str) -> JsonDocument:
    """`document` if it is a valid schema of the draft it names (draft-07 if none)."""
    if isinstance(document, bool):
        return document
    if not isinstance(document, dict):
        raise InvalidSchema(
            f"Invalid JSON Schema{where}: a schema is an object or a boolean, "
            f"not {type(document).__name__}"
        )
    cls = _draft_of(document, where=where)
    try:
        cls.check_schema(document)
    except jsonschema.exceptions.SchemaError as exc:
        raise InvalidSchema(
            f"Invalid JSON Schema{where} at {exc.json_path}: {exc.message}"
        ) from None
    except (RecursionError, TypeError, ValueError) as exc:
        raise InvalidSchema(f"Invalid JSON Schema{where}: {type(exc).__name__}: {exc}") from None
    return document


def _draft_of(document: dict[str, Any], *, where: str) -> type[Validator]:
    """The validator class of the draft `$schema` names; draft-07 when it names none."""
    dialect = document.get("$schema")
    if dialect is None:
        return DEFAULT_DRAFT
    if not isinstance(dialect, str):
        raise InvalidSchema(f"Invalid JSON Schema{where} at $.$schema: not a string")
    # validator_for answers its default for a dialect it does not know; draft-07 is the default,
    # so answering it for anything but draft-07's own URI means the dialect is unknown.
    cls = jsonschema.validators.validator_for({"$schema": dialect}, default=DEFAULT_DRAFT)
    if cls is DEFAULT_DRAFT and dialect.rstrip("#") != _DRAFT_07_URI:
        raise InvalidSchema(
            f"Invalid JSON Schema{where} at $.$schema: unknown dialect {dialect!r} "
            "(drafts 3, 4, 6, 7, 2019-09 and 2020-12 are known)"
        )
    return cls


def _check_refs(document: object, referenced: Mapping[str, object]) -> None:
    for ref in _refs(document):
        target, _, pointer = ref.partition("#")
        if target in ("", _own_id(document)):
            root = document
        elif target in referenced:
            root = referenced[target]
        else:
            raise InvalidSchema(
                f"Invalid JSON Schema: $ref {ref!r} names no reference of this schema "
                f"(known: {sorted(referenced) or 'none'})"
            )
        if pointer.startswith("/") and resolve_pointer(root, pointer) is _MISSING:
            raise InvalidSchema(f"Invalid JSON Schema: $ref {ref!r} points at nothing")


_MISSING = object()
# Keywords whose values are data, not schemas: a "$ref" key inside them is not a reference.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples"})


def resolve_pointer(document: object, pointer: str) -> object:
    """The value at a JSON pointer (RFC 6901, `/a/b`), or `_MISSING`."""
    node = document
    for raw in pointer.split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return _MISSING
    return node


def is_missing(value: object) -> bool:
    return value is _MISSING


def _refs(node: object) -> Iterator[str]:
    # Iterative: a hostile document may nest deeper than Python's recursion limit.
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str):
                yield ref
            pending.extend(v for k, v in current.items() if k not in _DATA_KEYWORDS)
        elif isinstance(current, list):
            pending.extend(current)


def _own_id(document: object) -> str:
    if isinstance(document, dict):
        own = document.get("$id", document.get("id"))
        if isinstance(own, str):
            return own.partition("#")[0]
    return ""


def _schema_uri(document: object) -> str:
    if isinstance(document, dict) and isinstance(document.get("$schema"), str):
        return str(document["$schema"])
    return ""
