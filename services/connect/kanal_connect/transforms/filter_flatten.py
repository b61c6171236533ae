"""Filter (drop every record; used with a predicate) and Flatten$Key / Flatten$Value."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from kanal_connect.config.definition import ConfigDef, ConfigType, Importance
from kanal_connect.data.schema import Schema, SchemaType
from kanal_connect.data.structs import Struct
from kanal_connect.data.validation import infer_schema_type
from kanal_connect.errors import DataException
from kanal_connect.transforms.base import (
    R,
    Target,
    fill_struct,
    require_map,
    require_struct,
    struct_schema_like,
)

PURPOSE = "flattening"


class Filter:
    def config_def(self) -> ConfigDef:
        return ConfigDef()

    def configure(self, configs: Mapping[str, object]) -> None:
        ConfigDef().parse(configs)

    def apply(self, record: R) -> R | None:
        return None


def flatten_config_def() -> ConfigDef:
    return ConfigDef().define(
        "delimiter",
        ConfigType.STRING,
        ".",
        Importance.MEDIUM,
        "Delimiter to insert between field names from the input record when generating field "
        "names for the output record",
    )


class Flatten:
    """Nested structs/maps become top-level fields named `outer<delimiter>inner`; arrays and
    their contents are kept as they are. A nested field is optional if any parent is."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.delimiter = "."
        self._schemas: dict[Schema, Schema] = {}

    def config_def(self) -> ConfigDef:
        return flatten_config_def()

    def configure(self, configs: Mapping[str, object]) -> None:
        self.delimiter = str(flatten_config_def().parse(configs)["delimiter"])
        self._schemas.clear()

    def apply(self, record: R) -> R | None:
        value = self.target.value_of(record)
        schema = self.target.schema_of(record)
        if value is None:
            return record
        if schema is None:
            flat: dict[str, object] = {}
            self._flatten_map(require_map(value, PURPOSE), "", flat)
            return self.target.replace(record, None, flat)
        struct = require_struct(value, PURPOSE)
        new_schema = self._flat_schema(struct.schema)
        values: dict[str, object] = {}
        self._flatten_struct(struct, "", values)
        return self.target.replace(record, new_schema, fill_struct(new_schema, values))

    def _name(self, prefix: str, name: str) -> str:
        return name if not prefix else prefix + self.delimiter + name

    def _flatten_map(self, source: dict[str, object], prefix: str, out: dict[str, object]) -> None:
        for key, item in source.items():
            name = self._name(prefix, str(key))
            if isinstance(item, dict):
                self._flatten_map(item, name, out)
            elif isinstance(item, Struct) or (item is not None and infer_schema_type(item) is None):
                raise DataException(
                    f"Flatten transformation does not support {type(item).__name__} "
                    f"for record without schemas (for field {name})."
                )
            else:
                out[name] = item

    def _flat_schema(self, schema: Schema) -> Schema:
        cached = self._schemas.get(schema)
        if cached is None:
            fields: list[tuple[str, Schema]] = []
            parent_default = schema.default if isinstance(schema.default, Struct) else None
            self._flatten_fields(schema, "", schema.optional, parent_default, fields)
            cached = self._schemas[schema] = struct_schema_like(schema, fields)
        return cached

    def _flatten_fields(
        self,
        schema: Schema,
        prefix: str,
        optional: bool,
        parent_default: Struct | None,
        out: list[tuple[str, Schema]],
    ) -> None:
        """Kafka's `buildUpdatedSchema`: a leaf is optional when any ancestor is, and takes
        its own default or, failing that, the one its ancestors' default struct holds."""
        for field in schema.fields:
            name = self._name(prefix, field.name)
            inner_optional = optional or field.schema.optional
            default = field.schema.default
            if default is None and parent_default is not None:
                default = parent_default.get(field.name)
            if field.schema.type is SchemaType.STRUCT:
                nested = default if isinstance(default, Struct) else None
                self._flatten_fields(field.schema, name, inner_optional, nested, out)
            elif field.schema.type is SchemaType.MAP:
                raise DataException(
                    f"Flatten transformation does not support MAP for record with schemas "
                    f"(for field {name})."
                )
            else:
                leaf = dataclasses.replace(field.schema, optional=inner_optional, default=None)
                out.append((name, leaf.with_default(default) if default is not None else leaf))

    def _flatten_struct(self, struct: Struct | None, prefix: str, out: dict[str, object]) -> None:
        if struct is None:
            return
        for field in struct.schema.fields:
            name = self._name(prefix, field.name)
            item = struct.get(field.name)
            if field.schema.type is SchemaType.STRUCT:
                self._flatten_struct(item if isinstance(item, Struct) else None, name, out)
            else:
                out[name] = item
