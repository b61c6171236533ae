"""Cast$Key / Cast$Value: cast fields, or the whole key/value, to another primitive type.

`spec` is `field:type,field:type`, or a single `type` for the whole value; types are int8,
int16, int32, int64, float32, float64, boolean and string (bytes only cast to string).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from kanal_connect.config.definition import (
    NO_DEFAULT,
    ConfigDef,
    ConfigType,
    ConfigValueError,
    Importance,
)
from kanal_connect.data import logical
from kanal_connect.data.schema import Schema, SchemaType
from kanal_connect.transforms.base import (
    R,
    Target,
    field_value,
    fill_struct,
    require_map,
    require_struct,
    struct_schema_like,
)
from kanal_connect.transforms.cast_values import OUTPUT_TYPES, cast_value, java_enum_set
from kanal_connect.transforms.common_config import (
    REPLACE_NULL_WITH_DEFAULT,
    define_replace_null_with_default,
)

PURPOSE = "cast types"
WHOLE_VALUE = ""


def parse_spec(mappings: list[str]) -> dict[str, SchemaType]:
    """field -> type; WHOLE_VALUE ("") keys a whole-value cast."""
    if not mappings:
        raise ConfigValueError("Must specify at least one field to cast.", verbatim=True)
    casts: dict[str, SchemaType] = {}
    for mapping in mappings:
        parts = mapping.split(":")
        if len(parts) > 2:
            # Kafka names "renames" here: Cast reuses ReplaceField's message.
            raise ConfigValueError(f"Invalid rename mapping: {mapping}", key="renames")
        type_name = parts[-1].strip()
        try:
            target = SchemaType[type_name.upper()]
        except KeyError:
            raise ConfigValueError(
                f"Invalid type found in casting spec: {type_name}", verbatim=True
            ) from None
        if target not in OUTPUT_TYPES:
            raise ConfigValueError(
                f"Cast transformation does not support casting to {target.name}; "
                f"supported types are {java_enum_set(OUTPUT_TYPES)}",
                verbatim=True,
            )
        casts[WHOLE_VALUE if len(parts) == 1 else parts[0].strip()] = target
    if WHOLE_VALUE in casts and len(mappings) > 1:
        raise ConfigValueError(
            "Cast transformations that specify a type to cast the entire value "
            "to may only specify a single cast in their spec",
            verbatim=True,
        )
    return casts


def _check_spec(_name: str, value: object) -> None:
    parse_spec([str(v) for v in value] if isinstance(value, list) else [])


def config_def() -> ConfigDef:
    config = ConfigDef().define(
        "spec",
        ConfigType.LIST,
        NO_DEFAULT,
        Importance.HIGH,
        "List of fields and the type to cast them to of the form field1:type,field2:type to cast "
        "fields of Maps or Structs. A single type to cast the entire value. Valid types are int8, "
        "int16, int32, int64, float32, float64, boolean, and string. Note that binary fields can "
        "only be cast to string.",
        validator=_check_spec,
    )
    return define_replace_null_with_default(config)


class Cast:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.casts: dict[str, SchemaType] = {}
        self.replace_null_with_default = True
        self._schemas: dict[Schema, Schema] = {}

    def config_def(self) -> ConfigDef:
        return config_def()

    def configure(self, configs: Mapping[str, object]) -> None:
        parsed = config_def().parse(configs)
        spec = parsed["spec"]
        self.casts = parse_spec([str(v) for v in spec] if isinstance(spec, list) else [])
        self.replace_null_with_default = bool(parsed[REPLACE_NULL_WITH_DEFAULT])
        self._schemas.clear()

    def apply(self, record: R) -> R | None:
        value = self.target.value_of(record)
        if value is None:
            return record
        schema = self.target.schema_of(record)
        whole = self.casts.get(WHOLE_VALUE)
        if schema is None:
            if whole is not None:
                return self.target.replace(record, None, cast_value(None, value, whole))
            updated = dict(require_map(value, PURPOSE))
            for name, target in self.casts.items():
                updated[name] = cast_value(None, updated.get(name), target)
            return self.target.replace(record, None, updated)
        new_schema = self._schemas.get(schema)
        if new_schema is None:
            new_schema = self._schemas[schema] = self._updated_schema(schema)
        if whole is not None:
            return self.target.replace(record, new_schema, cast_value(schema, value, whole))
        struct = require_struct(value, PURPOSE)
        values = {}
        for field in struct.schema.fields:
            current = field_value(struct, field.name, self.replace_null_with_default)
            wanted = self.casts.get(field.name)
            values[field.name] = (
                current if wanted is None else cast_value(field.schema, current, wanted)
            )
        return self.target.replace(record, new_schema, fill_struct(new_schema, values))

    def _updated_schema(self, schema: Schema) -> Schema:
        whole = self.casts.get(WHOLE_VALUE)
        if whole is not None:
            default = cast_value(schema, schema.default, whole)
            renamed = schema
            if schema.name in logical.LOGICAL_NAMES:  # a cast value is no longer logical
                renamed = schema.with_metadata(doc=schema.doc)
            return dataclasses.replace(
                renamed, type=whole, default=default, fields=(), key_schema=None, value_schema=None
            )
        fields = []
        for field in schema.fields:
            target = self.casts.get(field.name)
            if target is None:
                fields.append((field.name, field.schema))
            else:
                fields.append(
                    (
                        field.name,
                        Schema(
                            target,
                            optional=field.schema.optional,
                            default=cast_value(field.schema, field.schema.default, target),
                        ),
                    )
                )
        return struct_schema_like(schema, fields, optional=schema.optional)
