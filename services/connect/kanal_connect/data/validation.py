"""Checks that a Python value fits a schema, as Kafka's `ConnectSchema.validateValue` does.

Python representations: INT8..INT64 are `int` within the Java range of the type (never
`bool`), FLOAT32/FLOAT64 `float`, BOOLEAN `bool`, STRING `str`, BYTES `bytes`, ARRAY `list`,
MAP `dict`, STRUCT `Struct`; the logical types use the classes listed in `logical`.
"""

from __future__ import annotations

import datetime as dt
import decimal

from kanal_connect.data import logical
from kanal_connect.data.schema import Schema, SchemaType
from kanal_connect.errors import DataException

INT_RANGES: dict[SchemaType, tuple[int, int]] = {
    SchemaType.INT8: (-(2**7), 2**7 - 1),
    SchemaType.INT16: (-(2**15), 2**15 - 1),
    SchemaType.INT32: (-(2**31), 2**31 - 1),
    SchemaType.INT64: (-(2**63), 2**63 - 1),
}

_PRIMITIVE_CLASSES: dict[SchemaType, tuple[type, ...]] = {
    SchemaType.FLOAT32: (float,),
    SchemaType.FLOAT64: (float,),
    SchemaType.BOOLEAN: (bool,),
    SchemaType.STRING: (str,),
    SchemaType.BYTES: (bytes, bytearray),
    SchemaType.ARRAY: (list, tuple),
    SchemaType.MAP: (dict,),
}

_LOGICAL_CLASSES: dict[str, type] = {
    logical.DECIMAL_NAME: decimal.Decimal,
    logical.DATE_NAME: dt.date,
    logical.TIME_NAME: dt.time,
    logical.TIMESTAMP_NAME: dt.datetime,
}


def validate_value(schema: Schema, value: object, field_name: str | None = None) -> None:
    """Raise DataException unless `value` is valid for `schema` (recursively)."""
    if value is None:
        if not schema.optional:
            where = _where(field_name)
            raise DataException(
                "Invalid value: null used for required "
                f"field{where}, schema type: {schema.type.name}"
            )
        return
    logical_class = _LOGICAL_CLASSES.get(schema.name or "")
    if logical_class is not None:
        if not isinstance(value, logical_class):
            where = _where(field_name)
            raise DataException(
                f"Invalid Java object for logical type {schema.name}: {type(value).__name__}{where}"
            )
        return
    if schema.type in INT_RANGES:
        low, high = INT_RANGES[schema.type]
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong_class(schema, value, field_name)
        if not low <= value <= high:
            raise DataException(
                f"Value {value} out of range for {schema.type.name}{_where(field_name)}"
            )
        return
    if schema.type is SchemaType.STRUCT:
        from kanal_connect.data.structs import Struct

        if not isinstance(value, Struct):
            raise _wrong_class(schema, value, field_name)
        if not same_struct_shape(value.schema, schema):
            raise DataException(f"Struct schemas do not match{_where(field_name)}.")
        value.validate()
        return
    if not isinstance(value, _PRIMITIVE_CLASSES[schema.type]):
        raise _wrong_class(schema, value, field_name)
    if schema.type is SchemaType.ARRAY:
        assert isinstance(value, list | tuple) and schema.value_schema is not None
        for item in value:
            validate_value(schema.value_schema, item, field_name)
    elif schema.type is SchemaType.MAP:
        assert isinstance(value, dict)
        assert schema.key_schema is not None and schema.value_schema is not None
        for key, item in value.items():
            validate_value(schema.key_schema, key, field_name)
            validate_value(schema.value_schema, item, field_name)


def same_struct_shape(left: Schema, right: Schema) -> bool:
    """Struct schemas match when all but optionality and default agree: a struct default
    cannot hold a schema that contains that same default, so Kafka's strict equality would
    reject every struct-typed default."""
    return (left.fields, left.name, left.version, left.doc, left.parameters) == (
        right.fields,
        right.name,
        right.version,
        right.doc,
        right.parameters,
    )


def _where(field_name: str | None) -> str:
    # Built only for a message: validation runs for every field of every record.
    return f' for field: "{field_name}"' if field_name is not None else ""


def _wrong_class(schema: Schema, value: object, field_name: str | None) -> DataException:
    return DataException(
        f"Invalid Java object for schema with type {schema.type.name}: "
        f"{type(value).__name__}{_where(field_name)}"
    )


def infer_schema_type(value: object) -> SchemaType | None:
    """Kafka's `ConnectSchema.schemaType(Class)` for schemaless values (int counts as INT64)."""
    if isinstance(value, bool):
        return SchemaType.BOOLEAN
    if isinstance(value, int):
        return SchemaType.INT64
    if isinstance(value, float):
        return SchemaType.FLOAT64
    if isinstance(value, str):
        return SchemaType.STRING
    if isinstance(value, bytes | bytearray):
        return SchemaType.BYTES
    if isinstance(value, list | tuple):
        return SchemaType.ARRAY
    if isinstance(value, dict):
        return SchemaType.MAP
    from kanal_connect.data.structs import Struct

    if isinstance(value, Struct):
        return SchemaType.STRUCT
    return None
