"""The typed requests both edges build: REST from JSON bodies, gRPC from messages.

A JSON body of the wrong shape is refused here, before anything is read or written: a field of
the wrong type is Confluent's 422 (`UnprocessableEntity`), a missing or empty schema is 42201.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kanal_registry.errors import InvalidSchema, UnprocessableEntity
from kanal_registry.schema_types import SchemaReference, SchemaType
from kanal_registry.store.records import reference_from_json, reference_json

_MAX_VERSION = 2**31 - 1


@dataclass(frozen=True, slots=True)
class SchemaRequest:
    """A schema as a registration, lookup or compatibility request names it."""

    schema: str
    schema_type: SchemaType = SchemaType.AVRO
    references: tuple[SchemaReference, ...] = ()
    schema_id: int | None = None
    """Only in IMPORT mode: the id to register the schema under."""
    version: int | None = None
    """Only in IMPORT mode: the version to register the schema as."""

    @classmethod
    def from_json(cls, body: object) -> SchemaRequest:
        if not isinstance(body, Mapping):
            raise UnprocessableEntity("The request body must be a JSON object")
        schema = body.get("schema")
        if schema is None or schema == "":
            raise InvalidSchema("Empty schema")
        if not isinstance(schema, str):
            raise UnprocessableEntity("Field 'schema' must be a string")
        schema_type = body.get("schemaType")
        if schema_type is not None and not isinstance(schema_type, str):
            raise UnprocessableEntity("Field 'schemaType' must be a string")
        raw_references = body.get("references") or []
        if not isinstance(raw_references, list):
            raise UnprocessableEntity("Field 'references' must be a list")
        try:
            references = tuple(reference_from_json(r) for r in raw_references)
        except TypeError as exc:
            raise UnprocessableEntity(f"Invalid reference: {exc}") from None
        return cls(
            schema=schema,
            schema_type=SchemaType.from_request(schema_type),
            references=references,
            schema_id=_optional_int(body, "id"),
            version=_optional_int(body, "version"),
        )

    def to_json(self) -> dict[str, object]:
        body: dict[str, object] = {"schema": self.schema, "schemaType": self.schema_type.value}
        if self.references:
            body["references"] = [reference_json(r) for r in self.references]
        if self.schema_id is not None:
            body["id"] = self.schema_id
        if self.version is not None:
            body["version"] = self.version
        return body


def _optional_int(body: Mapping[str, object], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    # -1 is how Confluent's clients say "no id / no version" in some bodies.
    if not isinstance(value, int) or isinstance(value, bool) or not -1 <= value <= _MAX_VERSION:
        raise UnprocessableEntity(f"Field {name!r} must be an integer in [-1, {_MAX_VERSION}]")
    return None if value in (-1, 0) else value


def json_string_field(body: object, *names: str) -> str:
    """The first of `names` present in a JSON object body (config and mode bodies)."""
    if not isinstance(body, Mapping):
        raise UnprocessableEntity("The request body must be a JSON object")
    for name in names:
        value = body.get(name)
        if value is not None:
            if not isinstance(value, str):
                raise UnprocessableEntity(f"Field {name!r} must be a string")
            return value
    raise UnprocessableEntity(f"The request body needs the field {names[0]!r}")
