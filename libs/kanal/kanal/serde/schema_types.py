"""The registry's vocabulary as typed values: ids, schemas, references, registered versions.

Field names follow Confluent's JSON (`schema`, `schemaType`, `references`, `subject`,
`version`, `id`); `to_json` and `from_json` convert at the HTTP edge only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NewType

from kanal.errors import SchemaRegistryError

SchemaId = NewType("SchemaId", int)
"""The registry's global id of a schema: the same text gets the same id in every subject."""

SchemaType = Literal["AVRO", "JSON", "PROTOBUF"]
SCHEMA_TYPES: tuple[SchemaType, ...] = ("AVRO", "JSON", "PROTOBUF")

COMPATIBILITY_LEVELS = (
    "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
    "FULL", "FULL_TRANSITIVE", "NONE",
)  # fmt: skip
MODES = ("READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT")


@dataclass(frozen=True, slots=True)
class SchemaReference:
    """A named type defined by another subject's version (Avro full name, JSON `$ref` URL,
    or an imported .proto file name)."""

    name: str
    subject: str
    version: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "subject": self.subject, "version": self.version}


@dataclass(frozen=True, slots=True)
class Schema:
    """A schema's text with its type and references; hashable, so it keys caches."""

    schema_str: str
    schema_type: SchemaType = "AVRO"
    references: tuple[SchemaReference, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        # Confluent omits schemaType for AVRO; an explicit "AVRO" is accepted too.
        body: dict[str, Any] = {"schema": self.schema_str}
        if self.schema_type != "AVRO":
            body["schemaType"] = self.schema_type
        if self.references:
            body["references"] = [reference.to_json() for reference in self.references]
        return body

    @classmethod
    def from_json(cls, data: Any) -> Schema:
        body = _object(data)
        schema_type = body.get("schemaType", "AVRO")
        if schema_type not in SCHEMA_TYPES:
            raise _malformed(f"unknown schemaType {schema_type!r}")
        try:
            references = tuple(
                SchemaReference(str(ref["name"]), str(ref["subject"]), int(ref["version"]))
                for ref in body.get("references") or ()
            )
            return cls(str(body["schema"]), schema_type, references)
        except (KeyError, TypeError, ValueError) as error:
            raise _malformed(f"not a schema: {error!r}") from None


@dataclass(frozen=True, slots=True)
class RegisteredSchema:
    """One version of a subject."""

    schema_id: SchemaId
    subject: str
    version: int
    schema: Schema

    @classmethod
    def from_json(cls, data: Any) -> RegisteredSchema:
        body = _object(data)
        try:
            return cls(
                SchemaId(int(body["id"])),
                str(body["subject"]),
                int(body["version"]),
                Schema.from_json(body),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise _malformed(f"not a registered schema: {error!r}") from None


@dataclass(frozen=True, slots=True)
class CompatibilityResult:
    is_compatible: bool
    messages: tuple[str, ...] = ()


def _object(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _malformed(f"expected a JSON object, got {type(data).__name__}")
    return data


def _malformed(detail: str) -> SchemaRegistryError:
    return SchemaRegistryError(f"unexpected answer from the schema registry: {detail}")
