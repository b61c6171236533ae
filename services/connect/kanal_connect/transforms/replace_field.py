"""ReplaceField$Key / ReplaceField$Value: keep, drop and rename fields."""

from __future__ import annotations

from collections.abc import Mapping

from kanal_connect.config.definition import ConfigDef, ConfigType, ConfigValueError, Importance
from kanal_connect.data.schema import Schema
from kanal_connect.transforms.base import (
    R,
    Target,
    field_value,
    fill_struct,
    require_map,
    require_struct,
    struct_schema_like,
)
from kanal_connect.transforms.common_config import (
    REPLACE_NULL_WITH_DEFAULT,
    define_replace_null_with_default,
)

PURPOSE = "field replacement"


def parse_renames(mappings: list[str]) -> dict[str, str]:
    renames: dict[str, str] = {}
    for mapping in mappings:
        parts = mapping.split(":")
        if len(parts) != 2:
            raise ConfigValueError(f"Invalid rename mapping: {mapping}")
        renames[parts[0]] = parts[1]
    return renames


def _check_renames(_name: str, value: object) -> None:
    parse_renames(list(value) if isinstance(value, list) else [])


def config_def() -> ConfigDef:
    config = (
        ConfigDef()
        .define(
            "exclude",
            ConfigType.LIST,
            [],
            Importance.MEDIUM,
            "Fields to exclude. This takes precedence over the fields to include.",
        )
        .define(
            "include",
            ConfigType.LIST,
            [],
            Importance.MEDIUM,
            "Fields to include. If specified, only these fields will be used.",
        )
        .define(
            "renames",
            ConfigType.LIST,
            [],
            Importance.MEDIUM,
            "Field rename mappings.",
            validator=_check_renames,
        )
    )
    return define_replace_null_with_default(config)


class ReplaceField:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.exclude: set[str] = set()
        self.include: set[str] = set()
        self.renames: dict[str, str] = {}
        self.replace_null_with_default = True
        self._schemas: dict[Schema, Schema] = {}

    def config_def(self) -> ConfigDef:
        return config_def()

    def configure(self, configs: Mapping[str, object]) -> None:
        parsed = config_def().parse(configs)
        self.exclude = set(_strings(parsed["exclude"]))
        self.include = set(_strings(parsed["include"]))
        self.renames = parse_renames(_strings(parsed["renames"]))
        self.replace_null_with_default = bool(parsed[REPLACE_NULL_WITH_DEFAULT])
        self._schemas.clear()

    def keeps(self, name: str) -> bool:
        return name not in self.exclude and (not self.include or name in self.include)

    def apply(self, record: R) -> R | None:
        value = self.target.value_of(record)
        if value is None:
            return record
        schema = self.target.schema_of(record)
        if schema is None:
            source = require_map(value, PURPOSE)
            updated = {self.renames.get(k, k): v for k, v in source.items() if self.keeps(k)}
            return self.target.replace(record, None, updated)
        struct = require_struct(value, PURPOSE)
        new_schema = self._schemas.get(struct.schema)
        if new_schema is None:
            kept = [
                (self.renames.get(f.name, f.name), f.schema)
                for f in struct.schema.fields
                if self.keeps(f.name)
            ]
            new_schema = self._schemas[struct.schema] = struct_schema_like(struct.schema, kept)
        values = {
            self.renames.get(f.name, f.name): field_value(
                struct, f.name, self.replace_null_with_default
            )
            for f in struct.schema.fields
            if self.keeps(f.name)
        }
        return self.target.replace(record, new_schema, fill_struct(new_schema, values))


def _strings(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []
