"""ExtractField and HoistField ($Key / $Value): unwrap one field, or wrap the whole value."""

from __future__ import annotations

from collections.abc import Mapping

from kanal_connect.config.definition import NO_DEFAULT, ConfigDef, ConfigType, Importance
from kanal_connect.data.schema import struct
from kanal_connect.data.structs import Struct
from kanal_connect.errors import DataException
from kanal_connect.transforms.base import R, Target, require_map, require_struct
from kanal_connect.transforms.common_config import (
    REPLACE_NULL_WITH_DEFAULT,
    define_replace_null_with_default,
)
from kanal_connect.transforms.field_path import (
    FIELD_SYNTAX_VERSION,
    define_field_syntax,
    parse_path,
    schema_at,
    value_at,
)

PURPOSE = "field extraction"


def extract_config_def() -> ConfigDef:
    config = ConfigDef().define(
        "field", ConfigType.STRING, NO_DEFAULT, Importance.MEDIUM, "Field name to extract."
    )
    return define_field_syntax(define_replace_null_with_default(config))


def hoist_config_def() -> ConfigDef:
    return ConfigDef().define(
        "field",
        ConfigType.STRING,
        NO_DEFAULT,
        Importance.MEDIUM,
        "Field name for the single field that will be created in the resulting Struct or Map.",
    )


class ExtractField:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.path: tuple[str, ...] = ()
        self.replace_null_with_default = True

    def config_def(self) -> ConfigDef:
        return extract_config_def()

    def configure(self, configs: Mapping[str, object]) -> None:
        parsed = extract_config_def().parse(configs)
        self.path = parse_path(str(parsed["field"]), str(parsed[FIELD_SYNTAX_VERSION]))
        self.replace_null_with_default = bool(parsed[REPLACE_NULL_WITH_DEFAULT])

    def apply(self, record: R) -> R | None:
        value = self.target.value_of(record)
        schema = self.target.schema_of(record)
        if schema is None:
            if value is None:
                return self.target.replace(record, None, None)
            require_map(value, PURPOSE)
            return self.target.replace(record, None, value_at(value, self.path, True))
        if value is not None:
            require_struct(value, PURPOSE)
        field_schema = schema_at(schema, self.path)
        if field_schema is None:
            raise DataException(f"Unknown field: {'.'.join(self.path)}")
        if value is None:
            return self.target.replace(record, field_schema, None)
        return self.target.replace(
            record, field_schema, value_at(value, self.path, self.replace_null_with_default)
        )


class HoistField:
    def __init__(self, target: Target) -> None:
        self.target = target
        self.field = ""

    def config_def(self) -> ConfigDef:
        return hoist_config_def()

    def configure(self, configs: Mapping[str, object]) -> None:
        self.field = str(hoist_config_def().parse(configs)["field"])

    def apply(self, record: R) -> R | None:
        value = self.target.value_of(record)
        schema = self.target.schema_of(record)
        if schema is None:
            return self.target.replace(record, None, {self.field: value})
        wrapper = struct([(self.field, schema)])
        return self.target.replace(record, wrapper, Struct(wrapper).put(self.field, value))
