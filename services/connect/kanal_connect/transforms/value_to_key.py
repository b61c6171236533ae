"""ValueToKey: replace the key with a struct/map of some of the value's fields."""

from __future__ import annotations

from collections.abc import Mapping

from kanal_connect.config.definition import NO_DEFAULT, ConfigDef, ConfigType, Importance
from kanal_connect.config.validators import non_empty_list
from kanal_connect.data.schema import Schema, struct
from kanal_connect.errors import DataException
from kanal_connect.transforms.base import R, field_value, fill_struct, require_map, require_struct
from kanal_connect.transforms.common_config import (
    REPLACE_NULL_WITH_DEFAULT,
    define_replace_null_with_default,
)

PURPOSE = "copying fields from value to key"


def config_def() -> ConfigDef:
    config = ConfigDef().define(
        "fields",
        ConfigType.LIST,
        NO_DEFAULT,
        Importance.HIGH,
        "Field names on the record value to extract as the record key.",
        validator=non_empty_list,
    )
    return define_replace_null_with_default(config)


class ValueToKey:
    def __init__(self) -> None:
        self.fields: list[str] = []
        self.replace_null_with_default = True
        self._schemas: dict[Schema, Schema] = {}

    def config_def(self) -> ConfigDef:
        return config_def()

    def configure(self, configs: Mapping[str, object]) -> None:
        parsed = config_def().parse(configs)
        fields = parsed["fields"]
        self.fields = [str(f) for f in fields] if isinstance(fields, list) else []
        self.replace_null_with_default = bool(parsed[REPLACE_NULL_WITH_DEFAULT])
        self._schemas.clear()

    def apply(self, record: R) -> R | None:
        if record.value_schema is None:
            value = require_map(record.value, PURPOSE)
            return record.new_record(key_schema=None, key={f: value.get(f) for f in self.fields})
        source = require_struct(record.value, PURPOSE)
        key_schema = self._schemas.get(source.schema)
        if key_schema is None:
            pairs = []
            for name in self.fields:
                found = source.schema.field(name)
                if found is None:
                    raise DataException(f"Field does not exist: {name}")
                pairs.append((name, found.schema))
            key_schema = self._schemas[source.schema] = struct(pairs)
        key = fill_struct(
            key_schema,
            {
                name: field_value(source, name, self.replace_null_with_default)
                for name in self.fields
            },
        )
        return record.new_record(key_schema=key_schema, key=key)
