"""Kafka Connect's `Schema`: a type, optionality, default, name, version and parameters.

Schemas are immutable; `Schema.builder`-style helpers return new schemas. Hashing ignores the
default and parameters (they may hold unhashable values) so schemas can key the update caches
transformations keep, while equality compares every attribute as Kafka's `ConnectSchema` does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from kanal_connect.errors import DataException


class SchemaType(Enum):
    """Kafka's `Schema.Type`; the value is the lower-case name JSON schemas use."""

    INT8 = "int8"
    INT16 = "int16"
    INT32 = "int32"
    INT64 = "int64"
    FLOAT32 = "float32"
    FLOAT64 = "float64"
    BOOLEAN = "boolean"
    STRING = "string"
    BYTES = "bytes"
    ARRAY = "array"
    MAP = "map"
    STRUCT = "struct"

    @property
    def is_primitive(self) -> bool:
        return self not in (SchemaType.ARRAY, SchemaType.MAP, SchemaType.STRUCT)


@dataclass(frozen=True, slots=True)
class Field:
    """A named, positioned field of a STRUCT schema."""

    name: str
    index: int
    schema: Schema


@dataclass(frozen=True, slots=True)
class Schema:
    """One Connect schema. Build with the module helpers (`int32()`, `struct([...])`)."""

    type: SchemaType
    optional: bool = False
    default: object = None
    name: str | None = None
    version: int | None = None
    doc: str | None = None
    parameters: Mapping[str, str] | None = None
    fields: tuple[Field, ...] = ()
    key_schema: Schema | None = None
    value_schema: Schema | None = None
    # Field lookup by name, built once: transformations look fields up for every record.
    _by_name: dict[str, Field] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self._by_name.update((f.name, f) for f in self.fields)

    def __hash__(self) -> int:
        return hash(
            (
                self.type,
                self.optional,
                self.name,
                self.version,
                self.fields,
                self.key_schema,
                self.value_schema,
            )
        )

    def field(self, name: str) -> Field | None:
        """The field called `name`, or None; only STRUCT schemas have fields."""
        if self.type is not SchemaType.STRUCT:
            raise DataException(f"Cannot look up fields on non-struct type {self.type.name}")
        return self._by_name.get(name)

    def with_optional(self, optional: bool = True) -> Schema:
        return dataclasses.replace(self, optional=optional)

    def with_default(self, default: object) -> Schema:
        from kanal_connect.data.validation import validate_value

        if default is not None:
            validate_value(self, default)
        return dataclasses.replace(self, default=default)

    def with_metadata(
        self,
        *,
        name: str | None = None,
        version: int | None = None,
        doc: str | None = None,
        parameters: Mapping[str, str] | None = None,
    ) -> Schema:
        return dataclasses.replace(
            self,
            name=name,
            version=version,
            doc=doc,
            parameters=dict(parameters) if parameters is not None else None,
        )

    def __str__(self) -> str:
        label = self.name or self.type.name
        return f"Schema{{{label}:{self.type.name}}}"


def primitive(schema_type: SchemaType, *, optional: bool = False) -> Schema:
    if not schema_type.is_primitive:
        raise DataException(f"{schema_type.name} is not a primitive type")
    return Schema(schema_type, optional=optional)


def array(items: Schema, *, optional: bool = False) -> Schema:
    return Schema(SchemaType.ARRAY, optional=optional, value_schema=items)


def map_of(keys: Schema, values: Schema, *, optional: bool = False) -> Schema:
    return Schema(SchemaType.MAP, optional=optional, key_schema=keys, value_schema=values)


def struct(
    fields: Iterable[tuple[str, Schema]], *, optional: bool = False, name: str | None = None
) -> Schema:
    """A STRUCT schema from (name, schema) pairs; duplicate names are rejected as in Kafka."""
    built: list[Field] = []
    seen: set[str] = set()
    for index, (field_name, field_schema) in enumerate(fields):
        if field_name in seen:
            raise DataException(
                f"Cannot create field because of field name duplication {field_name}"
            )
        seen.add(field_name)
        built.append(Field(field_name, index, field_schema))
    return Schema(SchemaType.STRUCT, optional=optional, name=name, fields=tuple(built))


# Kafka's predefined schemas (`Schema.INT8_SCHEMA`, `Schema.OPTIONAL_STRING_SCHEMA`, ...).
INT8 = Schema(SchemaType.INT8)
INT16 = Schema(SchemaType.INT16)
INT32 = Schema(SchemaType.INT32)
INT64 = Schema(SchemaType.INT64)
FLOAT32 = Schema(SchemaType.FLOAT32)
FLOAT64 = Schema(SchemaType.FLOAT64)
BOOLEAN = Schema(SchemaType.BOOLEAN)
STRING = Schema(SchemaType.STRING)
BYTES = Schema(SchemaType.BYTES)
OPTIONAL_INT8 = Schema(SchemaType.INT8, optional=True)
OPTIONAL_INT16 = Schema(SchemaType.INT16, optional=True)
OPTIONAL_INT32 = Schema(SchemaType.INT32, optional=True)
OPTIONAL_INT64 = Schema(SchemaType.INT64, optional=True)
OPTIONAL_FLOAT32 = Schema(SchemaType.FLOAT32, optional=True)
OPTIONAL_FLOAT64 = Schema(SchemaType.FLOAT64, optional=True)
OPTIONAL_BOOLEAN = Schema(SchemaType.BOOLEAN, optional=True)
OPTIONAL_STRING = Schema(SchemaType.STRING, optional=True)
OPTIONAL_BYTES = Schema(SchemaType.BYTES, optional=True)
