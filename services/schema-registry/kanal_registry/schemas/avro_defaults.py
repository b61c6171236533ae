"""Field defaults must be values of the field's type, as Confluent checks for new schemas.

The `avro` package stores a default without looking at it; a wrong one would only fail when a
reader first needs it, long after registration. Rules from the Avro spec ("Schema Resolution"
and the table of default values): a union's default belongs to its first branch; bytes and
fixed defaults are JSON strings; a record default is an object with a value for every field
that has no default of its own.
"""

from __future__ import annotations

import avro.schema

from kanal_registry.errors import InvalidSchema

_INT_RANGES = {"int": 1 << 31, "long": 1 << 63}


def check_defaults(schema: avro.schema.Schema) -> None:
    """Raise InvalidSchema naming the first field whose default does not fit its type."""
    _walk(schema, seen=set())


def _walk(schema: avro.schema.Schema, seen: set[int]) -> None:
    if id(schema) in seen:
        return
    seen.add(id(schema))
    if isinstance(schema, avro.schema.RecordSchema):
        for field in schema.fields:
            if field.has_default and not _fits(field.type, field.default):
                raise InvalidSchema(
                    f"Invalid default for field {schema.fullname}.{field.name}: "
                    f"{field.default!r} is not a value of type {_describe(field.type)}"
                )
            _walk(field.type, seen)
    elif isinstance(schema, avro.schema.ArraySchema):
        _walk(schema.items, seen)
    elif isinstance(schema, avro.schema.MapSchema):
        _walk(schema.values, seen)
    elif isinstance(schema, avro.schema.UnionSchema):
        for branch in schema.schemas:
            _walk(branch, seen)


def _fits(schema: avro.schema.Schema, value: object) -> bool:
    kind = schema.type
    if kind == "union":
        assert isinstance(schema, avro.schema.UnionSchema)
        return bool(schema.schemas) and _fits(schema.schemas[0], value)
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in _INT_RANGES:
        bound = _INT_RANGES[kind]
        return isinstance(value, int) and not isinstance(value, bool) and -bound <= value < bound
    if kind in ("float", "double"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind in ("bytes", "string", "fixed"):
        return isinstance(value, str)
    if kind == "enum":
        assert isinstance(schema, avro.schema.EnumSchema)
        return isinstance(value, str) and value in schema.symbols
    if kind == "array":
        assert isinstance(schema, avro.schema.ArraySchema)
        return isinstance(value, list) and all(_fits(schema.items, item) for item in value)
    if kind == "map":
        assert isinstance(schema, avro.schema.MapSchema)
        return isinstance(value, dict) and all(_fits(schema.values, v) for v in value.values())
    if kind in ("record", "error"):
        assert isinstance(schema, avro.schema.RecordSchema)
        return isinstance(value, dict) and all(
            _fits(field.type, value[field.name]) if field.name in value else field.has_default
            for field in schema.fields
        )
    return True


def _describe(schema: avro.schema.Schema) -> str:
    if isinstance(schema, avro.schema.NamedSchema):
        return f"{schema.type} {schema.fullname}"
    if isinstance(schema, avro.schema.UnionSchema):
        first = schema.schemas[0].type if schema.schemas else "nothing"
        return f"union (a default must be of its first branch, {first})"
    return str(schema.type)
