"""Kafka Connect's `Struct`: field values checked against a STRUCT schema."""

from __future__ import annotations

from collections.abc import Iterator

from kanal_connect.data.schema import Field, Schema, SchemaType
from kanal_connect.data.validation import validate_value
from kanal_connect.errors import DataException


class Struct:
    """A value for a STRUCT schema. `put` validates each value as it is set; `validate`
    checks required fields, as Kafka does before a struct is serialized."""

    __slots__ = ("_values", "schema")

    def __init__(self, schema: Schema) -> None:
        if schema.type is not SchemaType.STRUCT:
            raise DataException("Not a struct schema: " + str(schema))
        self.schema = schema
        self._values: list[object] = [None] * len(schema.fields)

    @classmethod
    def trusted(cls, schema: Schema, values: list[object]) -> Struct:
        """A struct of `values`, already in field order and of the schema's types, without
        `put`'s per-field validation (a decoder that builds exactly those types uses it on
        its hot path; `validate()` still checks such a struct on demand)."""
        if len(values) != len(schema.fields):
            raise DataException(
                f"{len(values)} values for a struct of {len(schema.fields)} fields")
        if schema.type is not SchemaType.STRUCT:
            raise DataException("Not a struct schema: " + str(schema))
        # Not through __init__: its list of nulls would be thrown away at once.
        built = object.__new__(cls)
        built.schema = schema
        built._values = values
        return built

    def field_values(self) -> list[object]:
        """The values in field order, without defaults: the struct's own list, for fast
        readers (serializers); do not mutate it."""
        return self._values

    def _lookup(self, name: str) -> Field:
        found = self.schema.field(name)
        if found is None:
            raise DataException(f"{name} is not a valid field name")
        return found

    def put(self, name: str, value: object) -> Struct:
        """Set a field (validated); returns self so puts chain like Kafka's."""
        found = self._lookup(name)
        validate_value(found.schema, value, name)
        self._values[found.index] = value
        return self

    def get(self, name: str) -> object:
        """The field's value, or its schema default when the value is null."""
        found = self._lookup(name)
        value = self._values[found.index]
        return found.schema.default if value is None else value

    def get_without_default(self, name: str) -> object:
        return self._values[self._lookup(name).index]

    def validate(self) -> None:
        for found in self.schema.fields:
            validate_value(found.schema, self._values[found.index], found.name)

    def items(self) -> Iterator[tuple[str, object]]:
        """(name, value without default) in schema order."""
        for found in self.schema.fields:
            yield found.name, self._values[found.index]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Struct):
            return NotImplemented
        return self.schema == other.schema and self._values == other._values

    def __hash__(self) -> int:
        return hash((self.schema, len(self._values)))

    def __repr__(self) -> str:
        body = ",".join(f"{name}={value!r}" for name, value in self.items())
        return f"Struct{{{body}}}"
