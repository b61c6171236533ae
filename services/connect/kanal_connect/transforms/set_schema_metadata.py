"""SetSchemaMetadata$Key / $Value: set the schema's name and/or version.

A struct value is rebuilt against the renamed schema (Kafka's `updateSchemaIn`); other
values keep their identity. The schema is required unless both schema and value are null.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from kanal_connect.config.definition import ConfigDef, ConfigType, Importance
from kanal_connect.data.structs import Struct
from kanal_connect.errors import DataException, InvalidConnectorConfig
from kanal_connect.transforms.base import R, Target, field_value, fill_struct
from kanal_connect.transforms.common_config import (
    REPLACE_NULL_WITH_DEFAULT,
    define_replace_null_with_default,
)


def config_def() -> ConfigDef:
    config = (
        ConfigDef()
        .define("schema.name", ConfigType.STRING, None, Importance.HIGH, "Schema name to set.")
        .define("schema.version", ConfigType.INT, None, Importance.HIGH, "Schema version to set.")
    )
    return define_replace_null_with_default(config)


class SetSchemaMetadata:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.name: str | None = None
        self.version: int | None = None
        self.replace_null_with_default = True

    def config_def(self) -> ConfigDef:
        return config_def()

    def configure(self, configs: Mapping[str, object]) -> None:
        parsed = config_def().parse(configs)
        name, version = parsed["schema.name"], parsed["schema.version"]
        self.name = name if isinstance(name, str) else None
        self.version = version if isinstance(version, int) else None
        if self.name is None and self.version is None:
            raise InvalidConnectorConfig("Neither schema name nor version configured")
        self.replace_null_with_default = bool(parsed[REPLACE_NULL_WITH_DEFAULT])

    def apply(self, record: R) -> R | None:
        value = self.target.value_of(record)
        schema = self.target.schema_of(record)
        if value is None and schema is None:
            return record
        if schema is None:
            raise DataException("Schema required for [updating schema metadata]")
        updated = dataclasses.replace(
            schema,
            name=self.name if self.name is not None else schema.name,
            version=self.version if self.version is not None else schema.version,
        )
        if isinstance(value, Struct):
            value = fill_struct(
                updated,
                {
                    f.name: field_value(value, f.name, self.replace_null_with_default)
                    for f in updated.fields
                },
            )
        return self.target.replace(record, updated, value)
